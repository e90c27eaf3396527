//! Thin: parse the arguments, run the command, map the outcome to an exit code.

use clap::{CommandFactory, FromArgMatches};
use mailpreflight::cli::audit_settings::AuditSettings;
use mailpreflight::cli::layers;
use mailpreflight::cli::send_settings::SendSettings;
use mailpreflight::cli::settings::{DnsSettings, OutputSettings};
use mailpreflight::cli::smtp_settings::SmtpSettings;
use mailpreflight::cli::spf_settings::SpfSettings;
use mailpreflight::cli::{Cli, Command, DnsOptions, OutputOptions, SettingsFileArgs};
use mailpreflight::commands::{self, Outcome};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    // The matches are kept: the settings layers need to know which flags the user gave.
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|cli| (cli, m)));
    let (cli, matches) = match parsed {
        Ok(pair) => pair,
        Err(e) => {
            // --help and --version print and exit 0; usage errors exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match run(cli, &matches) {
        Ok(Outcome::Completed { failed }) => ExitCode::from(u8::from(failed)),
        Ok(Outcome::InputError(message)) => {
            eprintln!("mailpreflight: {message}");
            ExitCode::from(2)
        }
        Ok(Outcome::CannotRun(message)) => {
            eprintln!("mailpreflight: cannot run: {message}");
            ExitCode::from(3)
        }
        // A closed pipe (`| head`) is not an error worth a message.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mailpreflight: {e}");
            ExitCode::from(3)
        }
    }
}

/// Layers the settings file and the environment under a report command's flags.
fn layered(
    settings: &SettingsFileArgs,
    output: &mut OutputOptions,
    dns: &mut DnsOptions,
    matches: &clap::ArgMatches,
    name: &str,
) -> Result<(), Outcome> {
    let Some(m) = matches.subcommand_matches(name) else {
        return Ok(());
    };
    layers::apply_common(settings.config_file.as_ref(), output, dns, m, |v| {
        std::env::var(v).ok()
    })
    .map(|_| ())
    .map_err(|e| Outcome::InputError(e.0))
}

fn print_template() -> io::Result<Outcome> {
    io::stdout().lock().write_all(layers::TEMPLATE.as_bytes())?;
    Ok(Outcome::Completed { failed: false })
}

fn run(cli: Cli, matches: &clap::ArgMatches) -> io::Result<Outcome> {
    let Some(command) = cli.command else {
        // `arg_required_else_help` leaves only --print-config-template here.
        return print_template();
    };
    match command {
        Command::Explain(args) => commands::explain::run(args, &mut io::stdout().lock()),
        Command::Completions(args) => {
            commands::generate::completions(args, &mut io::stdout().lock())
        }
        Command::Man => commands::generate::man(&mut io::stdout().lock()),
        Command::Init => print_template(),
        Command::Dns(mut args) => {
            if let Some(m) = matches.subcommand_matches("dns")
                && let Err(e) = layers::apply(&mut args, m, |v| std::env::var(v).ok())
            {
                return Ok(Outcome::InputError(e.0));
            }
            let settings = match DnsSettings::from_args(args) {
                Ok(s) => s,
                Err(e) => return Ok(Outcome::InputError(e.0)),
            };
            let mut out = match open_output(&settings.output) {
                Ok(out) => out,
                Err(outcome) => return Ok(outcome),
            };
            // One thread: a batch audit waits on the network, and its CPU work per lookup is
            // small enough that the multi-threaded scheduler's cross-thread wake-ups (futex,
            // context switches) cost more than they win: ~35% more CPU time per domain
            // measured in the benchmark, for no better wall time on 2 cores.
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(commands::dns::run(settings, &mut out))
        }
        Command::Smtp(mut args) => {
            let a = &mut *args;
            if let Err(o) = layered(&a.settings, &mut a.output, &mut a.dns, matches, "smtp") {
                return Ok(o);
            }
            let settings = match SmtpSettings::from_args(args) {
                Ok(s) => s,
                Err(e) => return Ok(Outcome::InputError(e.0)),
            };
            let mut out = match open_output(&settings.output) {
                Ok(out) => out,
                Err(outcome) => return Ok(outcome),
            };
            runtime()?.block_on(commands::smtp::run(settings, &mut out))
        }
        Command::Spf(mut args) => {
            let a = &mut *args;
            if let Err(o) = layered(&a.settings, &mut a.output, &mut a.dns, matches, "spf") {
                return Ok(o);
            }
            let settings = match SpfSettings::from_args(args) {
                Ok(s) => s,
                Err(e) => return Ok(Outcome::InputError(e.0)),
            };
            let mut out = match open_output(&settings.output) {
                Ok(out) => out,
                Err(outcome) => return Ok(outcome),
            };
            runtime()?.block_on(commands::spf::run(settings, &mut out))
        }
        Command::Sink(mut args) => {
            let a = &mut *args;
            if let Err(o) = layered(&a.settings, &mut a.output, &mut a.dns, matches, "sink") {
                return Ok(o);
            }
            let path = args.output.output.clone();
            let mut out = match &path {
                Some(p) => match File::create(p) {
                    Ok(f) => Box::new(BufWriter::new(f)) as Box<dyn Write>,
                    Err(e) => {
                        return Ok(Outcome::InputError(format!(
                            "cannot write {}: {e}",
                            p.display()
                        )));
                    }
                },
                None => Box::new(BufWriter::new(io::stdout().lock())),
            };
            runtime()?.block_on(commands::sink::run(args, &mut out))
        }
        Command::Audit(mut args) => {
            let a = &mut *args;
            if let Err(o) = layered(&a.settings, &mut a.output, &mut a.dns, matches, "audit") {
                return Ok(o);
            }
            let settings = match AuditSettings::from_args(args) {
                Ok(s) => s,
                Err(e) => return Ok(Outcome::InputError(e.0)),
            };
            let mut out = match open_output(settings.output()) {
                Ok(out) => out,
                Err(outcome) => return Ok(outcome),
            };
            runtime()?.block_on(commands::audit::run(settings, &mut out))
        }
        Command::Demo(args) => {
            let mut out: Box<dyn Write> = match &args.output.output {
                Some(p) => match File::create(p) {
                    Ok(f) => Box::new(BufWriter::new(f)),
                    Err(e) => {
                        return Ok(Outcome::InputError(format!(
                            "cannot write {}: {e}",
                            p.display()
                        )));
                    }
                },
                None => Box::new(BufWriter::new(io::stdout().lock())),
            };
            runtime()?.block_on(commands::demo::run(args, &mut out))
        }
        Command::Inspect(mut args) => {
            let a = &mut *args;
            if let Err(o) = layered(&a.settings, &mut a.output, &mut a.dns, matches, "inspect") {
                return Ok(o);
            }
            let settings = match commands::inspect::InspectSettings::from_args(args) {
                Ok(s) => s,
                Err(e) => return Ok(Outcome::InputError(e.0)),
            };
            let mut out = match open_output(&settings.output) {
                Ok(out) => out,
                Err(outcome) => return Ok(outcome),
            };
            runtime()?.block_on(commands::inspect::run(settings, &mut out))
        }
        Command::Send(mut args) => {
            let a = &mut *args;
            if let Err(o) = layered(&a.settings, &mut a.output, &mut a.dns, matches, "send") {
                return Ok(o);
            }
            let settings = match SendSettings::from_args(args) {
                Ok(s) => s,
                Err(e) => return Ok(Outcome::InputError(e.0)),
            };
            let mut out = match open_output(&settings.output) {
                Ok(out) => out,
                Err(outcome) => return Ok(outcome),
            };
            runtime()?.block_on(commands::send::run(settings, &mut out))
        }
    }
}

fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// The report's destination: `-o FILE` or standard output.
fn open_output(output: &OutputSettings) -> Result<Box<dyn Write>, Outcome> {
    match &output.path {
        Some(path) => match File::create(path) {
            Ok(f) => Ok(Box::new(BufWriter::new(f))),
            Err(e) => Err(Outcome::InputError(format!(
                "cannot write {}: {e}",
                path.display()
            ))),
        },
        None => Ok(Box::new(BufWriter::new(io::stdout().lock()))),
    }
}
