//! The organizational domain of RFC 7489 3.2, by the Public Suffix List (the `psl` crate's
//! built-in copy, ICANN and private sections, as most receivers use it).
//!
//! Shared with the alignment code: relaxed alignment means "same organizational domain".

/// The registrable domain: the public suffix plus one label. A name that is itself a public
/// suffix (or a single label) is its own organizational domain. Input is normalised
/// (lower-case, no trailing dot); so is the output.
pub fn organizational_domain(domain: &str) -> String {
    let domain = crate::dns::name::normalize(domain);
    // Names the PSL does not know end in the implicit `*` rule: `x.test` for `a.x.test`.
    match psl::domain_str(&domain) {
        Some(registrable) => registrable.to_string(),
        None => domain,
    }
}

/// Relaxed alignment (RFC 7489 3.1): both names have the same organizational domain.
pub fn same_organization(a: &str, b: &str) -> bool {
    organizational_domain(a) == organizational_domain(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        for (input, want) in [
            ("example.com", "example.com"),
            ("mail.example.com", "example.com"),
            ("A.B.Example.COM.", "example.com"),
            ("mail.example.co.uk", "example.co.uk"),
            ("example.co.uk", "example.co.uk"),
            ("co.uk", "co.uk"),
            ("com", "com"),
            ("mail.dmarc-orgfallback.test", "dmarc-orgfallback.test"),
            ("deep.a.b.c.example.org", "example.org"),
            // private section: each github.io site is its own organization
            ("foo.github.io", "foo.github.io"),
            ("x.foo.github.io", "foo.github.io"),
        ] {
            assert_eq!(organizational_domain(input), want, "{input}");
        }
        assert!(same_organization("send.example.com", "example.com"));
        assert!(!same_organization("a.github.io", "b.github.io"));
    }
}
