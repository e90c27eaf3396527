//! SPF for the identity an SMTP session carries, through the binary's flags: `dns
//! --mail-from` (the local part feeds %{l}), the null sender (the HELO identity, RFC 7208
//! 2.4), and `mailpreflight spf` with malformed identities (`none`, RFC 7208 4.3, never an
//! input error). The zone: fixtures/zones/identity/identity.zone.

mod common;
use common::{run, stderr, stdout};
use serde_json::Value;

const ZONE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/zones/identity/identity.zone"
);

fn json(args: &[&str]) -> (Option<i32>, Value) {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--offline", "--zone", ZONE, "--format", "json"]);
    let out = run(&all);
    let report = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{args:?}: {e}; stderr {}", stderr(&out)));
    (out.status.code(), report)
}

fn verdict(report: &Value) -> &Value {
    &report["targets"][0]["facts"]["spf"]["verdict"]
}

#[test]
fn dns_mail_from_local_part_feeds_the_l_macro() {
    let base = ["dns", "identity.test", "--sending-ip", "192.0.2.99"];
    let (_, report) = json(&[&base[..], &["--mail-from", "alice@identity.test"]].concat());
    let v = verdict(&report);
    assert_eq!(v["result"], "pass", "{v}");
    assert_eq!(v["sender"], "alice@identity.test");
    assert_eq!(v["identity"], "mail-from");

    let (code, report) = json(&[&base[..], &["--mail-from", "bob@identity.test"]].concat());
    assert_eq!(verdict(&report)["result"], "fail");
    assert_eq!(code, Some(1), "a fail verdict is an error finding");

    // Without --mail-from the sender is postmaster@DOMAIN, which the record does not list.
    let (_, report) = json(&base);
    assert_eq!(verdict(&report)["sender"], "postmaster@identity.test");
    assert_eq!(verdict(&report)["result"], "fail");
}

#[test]
fn null_sender_checks_the_helo_identity() {
    let (_, report) = json(&[
        "dns",
        "identity.test",
        "--sending-ip",
        "192.0.2.25",
        "--mail-from",
        "",
        "--helo",
        "mail.identity.test",
    ]);
    let v = verdict(&report);
    assert_eq!(v["identity"], "helo", "{v}");
    assert_eq!(v["domain"], "mail.identity.test");
    assert_eq!(v["sender"], "postmaster@mail.identity.test");
    assert_eq!(v["result"], "pass");

    let (_, report) = json(&[
        "spf",
        "--ip",
        "192.0.2.26",
        "--mail-from",
        "<>",
        "--helo",
        "mail.identity.test",
    ]);
    assert_eq!(verdict(&report)["result"], "fail");
    assert_eq!(report["targets"][0]["domain"], "mail.identity.test");
}

#[test]
fn spf_command_evaluates_malformed_identities_as_none() {
    let label64 = format!("{}.identity.test", "a".repeat(64));
    let too_long = format!("x@{label64}");
    for (mail_from, helo) in [
        ("foo@[192.0.2.1]", "mail.identity.test"),
        ("foo@a..identity.test", "mail.identity.test"),
        (too_long.as_str(), "mail.identity.test"),
        ("foo@localhost", "mail.identity.test"),
        ("", "[192.0.2.1]"),
        ("", "OEMCOMPUTER"),
    ] {
        let (code, report) = json(&[
            "spf",
            "--ip",
            "192.0.2.25",
            "--mail-from",
            mail_from,
            "--helo",
            helo,
        ]);
        assert_eq!(
            code,
            Some(0),
            "{mail_from:?} / {helo:?}: not an input error"
        );
        let v = verdict(&report);
        assert_eq!(v["result"], "none", "{mail_from:?} / {helo:?}: {v}");
        // No lookup is made for a domain that cannot have a record.
        assert_eq!(
            report["dns"]["lookups"], 0,
            "{mail_from:?}: {}",
            report["dns"]
        );
    }
}

#[test]
fn spf_command_walks_the_identity_domains_tree() {
    let (code, report) = json(&[
        "spf",
        "--ip",
        "192.0.2.99",
        "--mail-from",
        "alice@identity.test",
        "--helo",
        "mail.identity.test",
    ]);
    assert_eq!(code, Some(0));
    let spf = &report["targets"][0]["facts"]["spf"];
    assert_eq!(spf["record"], "v=spf1 exists:%{l}.senders.%{d} -all");
    assert_eq!(spf["lookups"], 1);
    assert_eq!(spf["verdict"]["result"], "pass");
    assert_eq!(report["command"], "spf");
}
