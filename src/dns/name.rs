//! Domain-name helpers: normalisation and validation of names typed by users or
//! found in records. Names are kept lower-case, without the trailing dot.

/// Lower-case and strip one trailing dot. Does not validate.
pub fn normalize(name: &str) -> String {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    trimmed.to_ascii_lowercase()
}

/// `name` equals `parent` or is below it (label-wise, case-insensitive, no trailing dots).
pub fn is_subdomain_of(name: &str, parent: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    let parent = parent.strip_suffix('.').unwrap_or(parent);
    if parent.is_empty() {
        return true;
    }
    if name.len() == parent.len() {
        return name.eq_ignore_ascii_case(parent);
    }
    name.len() > parent.len()
        && name[name.len() - parent.len()..].eq_ignore_ascii_case(parent)
        && name.as_bytes()[name.len() - parent.len() - 1] == b'.'
}

/// Our name (raw labels joined by dots, no trailing dot) as a fully qualified hickory name.
/// Labels are taken as raw bytes (RFC 2181 11): SPF macro expansions may hold `:`, `/`, `%`
/// or spaces, which presentation-format parsing would refuse or re-interpret.
pub fn wire_name(name: &str) -> Result<hickory_resolver::proto::rr::Name, String> {
    let name = name.strip_suffix('.').unwrap_or(name);
    let mut wire = if name.is_empty() {
        hickory_resolver::proto::rr::Name::root()
    } else {
        hickory_resolver::proto::rr::Name::from_labels(name.split('.').map(str::as_bytes))
            .map_err(|e| e.to_string())?
    };
    wire.set_fqdn(true);
    Ok(wire)
}

/// A hickory name as ours: raw labels joined by dots, lower-cased, no trailing dot
/// (presentation-format escaping would turn `a b` into `a\032b`). The inverse of [`wire_name`].
pub fn from_wire(name: &hickory_resolver::proto::rr::Name) -> String {
    let labels: Vec<String> = name
        .iter()
        .map(|label| String::from_utf8_lossy(label).to_ascii_lowercase())
        .collect();
    labels.join(".")
}

/// Why a name cannot be asked for in DNS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameError {
    Empty,
    TooLong(usize),
    EmptyLabel,
    LabelTooLong(String),
    BadCharacter(char),
}

impl std::fmt::Display for NameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NameError::Empty => write!(f, "the name is empty"),
            NameError::TooLong(n) => write!(f, "the name is {n} bytes long (at most 253)"),
            NameError::EmptyLabel => write!(f, "the name has an empty label (two dots in a row)"),
            NameError::LabelTooLong(l) => {
                write!(f, "the label `{l}` is {} bytes long (at most 63)", l.len())
            }
            NameError::BadCharacter(c) => write!(f, "the name contains {c:?}"),
        }
    }
}

/// Validate a name that DNS can carry (RFC 1035 2.3.4 lengths). Labels may hold any
/// printable ASCII, spaces included (RFC 2181 11: any octet is legal; SPF macro expansions
/// such as `%_` produce spaces); control characters, `\` and `"` are refused because they
/// cannot be passed through presentation format unambiguously. A single trailing dot is allowed.
pub fn validate_dns_name(name: &str) -> Result<(), NameError> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.len() > 253 {
        return Err(NameError::TooLong(name.len()));
    }
    // Byte-wise: every question passes here, and `str::split` / `chars` cost several times
    // more. '.' is ASCII, so the pieces are whole labels; a non-ASCII byte is reported as
    // the character it starts.
    for label in name.as_bytes().split(|&b| b == b'.') {
        if label.is_empty() {
            return Err(NameError::EmptyLabel);
        }
        if label.len() > 63 {
            return Err(NameError::LabelTooLong(
                String::from_utf8_lossy(label).into_owned(),
            ));
        }
        if let Some(at) = label
            .iter()
            .position(|&b| !(b.is_ascii_graphic() || b == b' ') || b == b'\\' || b == b'"')
        {
            let c = String::from_utf8_lossy(&label[at..])
                .chars()
                .next()
                .unwrap_or(char::REPLACEMENT_CHARACTER);
            return Err(NameError::BadCharacter(c));
        }
    }
    Ok(())
}

/// Validate a domain typed by the user as an audit target: host-name syntax (letters,
/// digits, hyphens; IDNs converted to A-labels), at least two labels.
pub fn parse_target_domain(input: &str) -> Result<String, String> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err("the domain is empty".into());
    }
    let ascii = if trimmed.is_ascii() {
        trimmed.to_string()
    } else {
        hickory_resolver::proto::rr::Name::from_utf8(trimmed)
            .map_err(|e| format!("`{trimmed}` is not a valid domain name: {e}"))?
            .to_ascii()
    };
    let name = normalize(&ascii);
    validate_dns_name(&name).map_err(|e| format!("`{trimmed}` is not a valid domain name: {e}"))?;
    for label in name.split('.') {
        let ok = label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok || label.starts_with('-') || label.ends_with('-') {
            return Err(format!(
                "`{trimmed}` is not a valid domain name: the label `{label}` may only hold letters, digits and inner hyphens"
            ));
        }
    }
    if !name.contains('.') {
        return Err(format!(
            "`{trimmed}` is not a valid domain name: a mail domain has at least two labels"
        ));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomain_is_label_wise() {
        assert!(is_subdomain_of("a.example.com", "example.com"));
        assert!(is_subdomain_of("Example.COM.", "example.com"));
        assert!(!is_subdomain_of("badexample.com", "example.com"));
        assert!(!is_subdomain_of("example.com", "a.example.com"));
        assert!(is_subdomain_of("anything", ""));
    }

    #[test]
    fn validation_names_the_problem() {
        assert_eq!(validate_dns_name(""), Err(NameError::Empty));
        assert_eq!(validate_dns_name("a..b"), Err(NameError::EmptyLabel));
        assert!(matches!(
            validate_dns_name(&"a".repeat(64)),
            Err(NameError::LabelTooLong(_))
        ));
        assert_eq!(
            validate_dns_name("a\tb.com"),
            Err(NameError::BadCharacter('\t'))
        );
        // The first offending character whole, not its first byte.
        assert_eq!(
            validate_dns_name("ok.bücher.de"),
            Err(NameError::BadCharacter('ü'))
        );
        assert_eq!(
            validate_dns_name("a\"b.com"),
            Err(NameError::BadCharacter('"'))
        );
        assert_eq!(
            validate_dns_name("a\\b.com"),
            Err(NameError::BadCharacter('\\'))
        );
        assert!(validate_dns_name("a b.com").is_ok());
        assert!(validate_dns_name("_dmarc.example.com.").is_ok());
    }

    #[test]
    fn wire_names_round_trip_raw_labels() {
        for name in ["example.com", "foo:bar/baz.example.com", "a b.%x.test", ""] {
            assert_eq!(from_wire(&wire_name(name).unwrap()), name);
        }
        assert_eq!(
            from_wire(&wire_name("Example.COM.").unwrap()),
            "example.com"
        );
        assert!(wire_name(&format!("{}.com", "a".repeat(64))).is_err());
    }

    #[test]
    fn target_domains() {
        assert_eq!(
            parse_target_domain(" Example.COM. ").unwrap(),
            "example.com"
        );
        assert_eq!(
            parse_target_domain("bücher.example").unwrap(),
            "xn--bcher-kva.example"
        );
        assert!(parse_target_domain("localhost").is_err());
        assert!(parse_target_domain("-bad.example").is_err());
        assert!(parse_target_domain("exa mple.com").is_err());
    }
}
