//! The command-line surface: help text (snapshotted so changes are seen in review),
//! exit codes for input errors, and `explain`.

mod common;
use common::{run, snapshot::assert_snapshot, stderr, stdout};

#[test]
fn help_texts_are_stable() {
    for (args, name) in [
        (vec!["--help"], "help.txt"),
        (vec!["dns", "--help"], "help_dns.txt"),
        (vec!["smtp", "--help"], "help_smtp.txt"),
        (vec!["send", "--help"], "help_send.txt"),
        (vec!["sink", "--help"], "help_sink.txt"),
        (vec!["audit", "--help"], "help_audit.txt"),
        (vec!["demo", "--help"], "help_demo.txt"),
        (vec!["inspect", "--help"], "help_inspect.txt"),
        (vec!["spf", "--help"], "help_spf.txt"),
        (vec!["explain", "--help"], "help_explain.txt"),
        (vec!["completions", "--help"], "help_completions.txt"),
        (vec!["man", "--help"], "help_man.txt"),
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert_snapshot(name, &stdout(&out));
    }
}

/// Every subcommand the parser knows (from the clap definition, so a new one is covered).
fn subcommand_names() -> Vec<String> {
    use clap::CommandFactory;
    mailpreflight::cli::Cli::command()
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect()
}

#[test]
fn bash_completion_mentions_every_subcommand() {
    let out = run(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
    let script = stdout(&out);
    for name in subcommand_names() {
        assert!(
            script.contains(&format!("cmd=\"mailpreflight__subcmd__{name}\"")),
            "bash completion lacks {name}"
        );
    }
    assert_snapshot("completions_bash.txt", &script);
    for shell in ["zsh", "fish", "powershell"] {
        let out = run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        assert!(stdout(&out).contains("dns"), "{shell}");
    }
    let out = run(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn man_page_has_a_section_per_subcommand() {
    let out = run(&["man"]);
    assert_eq!(out.status.code(), Some(0));
    let page = stdout(&out);
    assert!(
        page.starts_with(".ie") || page.contains(".TH mailpreflight"),
        "{page}"
    );
    for name in subcommand_names().iter().filter(|n| *n != "help") {
        let title = format!(".SH \"MAILPREFLIGHT {}\"", name.to_uppercase());
        assert!(page.contains(&title), "man page lacks {title}");
        assert!(page.contains(&format!("mailpreflight {name}")), "{name}");
    }
    // The flags a CI job copies are documented in it.
    assert!(page.contains("fail\\-on"), "--fail-on missing");
}

#[test]
fn usage_errors_exit_2_with_a_message() {
    let cases: &[(&[&str], &str)] = &[
        (&["dns", "--bogus-flag"], "--bogus-flag"),
        (&["dns"], "no domain given"),
        (
            &["dns", "exa mple.com", "--offline", "--zone", "x"],
            "not a valid domain name",
        ),
        (
            &["dns", "example.com", "--nameserver", "dns.example"],
            "--nameserver dns.example",
        ),
        (
            &[
                "dns",
                "example.com",
                "--timeout",
                "soon",
                "--offline",
                "--zone",
                "Cargo.toml",
            ],
            "--timeout",
        ),
        (&["dns", "example.com", "--offline"], "--offline needs"),
        (
            &[
                "dns",
                "example.com",
                "--offline",
                "--zone",
                "/nonexistent/zone",
            ],
            "cannot read zone file /nonexistent/zone",
        ),
        (
            &["dns", "example.com", "--domains-file", "/nonexistent/list"],
            "cannot read --domains-file",
        ),
        (
            &[
                "dns",
                "example.com",
                "--sending-ip",
                "300.1.1.1",
                "--offline",
                "--zone",
                "x",
            ],
            "--sending-ip 300.1.1.1",
        ),
        (
            &[
                "dns",
                "example.com",
                "--allow",
                "no-such-code",
                "--offline",
                "--zone",
                "x",
            ],
            "--allow no-such-code",
        ),
        (
            &[
                "dns",
                "example.com",
                "--concurrency",
                "0",
                "--offline",
                "--zone",
                "x",
            ],
            "--concurrency",
        ),
        (&["explain", "no-such-code"], "no such finding code"),
        (&["spf", "--mail-from", "a@example.com"], "--ip"),
        (&["spf", "--ip", "192.0.2.1"], "--mail-from"),
        (
            &[
                "spf",
                "--ip",
                "192.0.2.999",
                "--helo",
                "h.example",
                "--offline",
                "--zone",
                "x",
            ],
            "--ip 192.0.2.999",
        ),
        (
            &[
                "dns",
                "example.com",
                "--sending-ip",
                "192.0.2.1",
                "--mail-from",
                "bob@example.org",
                "--offline",
                "--zone",
                "x",
            ],
            "not at the audited domain example.com",
        ),
    ];
    for (args, expected) in cases {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: stderr {:?} lacks {expected:?}",
            stderr(&out)
        );
        assert!(!stderr(&out).contains("panicked"), "{args:?}");
    }
}

#[test]
fn explain_knows_every_listed_code() {
    let list = run(&["explain", "--list"]);
    assert_eq!(list.status.code(), Some(0));
    let text = stdout(&list);
    let codes: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| {
            w.contains('-')
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
        .collect();
    assert!(codes.contains(&"dns-timeout"), "{text}");
    for code in codes {
        let out = run(&["explain", code]);
        assert_eq!(out.status.code(), Some(0), "{code}");
        assert!(stdout(&out).contains(code));
    }
}

/// README.md documents every command's flags (from the clap definition, so a new flag
/// without a word in the README fails here).
#[test]
fn readme_mentions_every_flag() {
    use clap::CommandFactory;
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut missing = Vec::new();
    for sub in mailpreflight::cli::Cli::command().get_subcommands() {
        for arg in sub.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if ["help", "version"].contains(&long) {
                continue;
            }
            if !readme.contains(&format!("--{long}")) {
                missing.push(format!("{} --{long}", sub.get_name()));
            }
        }
    }
    assert!(missing.is_empty(), "not in README.md: {missing:?}");
}
