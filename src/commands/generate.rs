//! `mailpreflight completions SHELL` and `mailpreflight man`: generated from the clap
//! definition itself, so they cannot drift from the flags the binary accepts.

use super::Outcome;
use crate::cli::{Cli, CompletionsArgs};
use clap::CommandFactory;
use std::io::Write;

pub fn completions(args: CompletionsArgs, out: &mut dyn Write) -> std::io::Result<Outcome> {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "mailpreflight", out);
    out.flush()?;
    Ok(Outcome::Completed { failed: false })
}

/// One page for the whole tool: the top-level page, then a section per subcommand with its options
/// (`man mailpreflight` then finds everything; a page per subcommand would need installing
/// several files for little gain).
pub fn man(out: &mut dyn Write) -> std::io::Result<Outcome> {
    let command = Cli::command();
    let man = clap_mangen::Man::new(command.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = sub.get_name();
        writeln!(out, ".SH \"MAILPREFLIGHT {}\"", name.to_uppercase())?;
        let page = clap_mangen::Man::new(sub.clone().bin_name(format!("mailpreflight {name}")));
        let mut section = Vec::new();
        page.render_synopsis_section(&mut section)?;
        page.render_description_section(&mut section)?;
        page.render_options_section(&mut section)?;
        // A subcommand's parts are subsections of its own section, not top-level sections.
        for line in String::from_utf8_lossy(&section).lines() {
            match line.strip_prefix(".SH ") {
                Some(title) => writeln!(out, ".SS {title}")?,
                None => writeln!(out, "{line}")?,
            }
        }
    }
    man.render_extra_section(out)?;
    man.render_version_section(out)?;
    out.flush()?;
    Ok(Outcome::Completed { failed: false })
}
