use super::expand::pick_validated;
use super::*;

#[test]
fn cidr_matching() {
    let ip: Ipv4Addr = "192.0.2.77".parse().unwrap();
    assert!(in_v4(ip, "192.0.2.0".parse().unwrap(), 24));
    assert!(!in_v4(ip, "192.0.3.0".parse().unwrap(), 24));
    assert!(in_v4(ip, "1.1.1.1".parse().unwrap(), 0));
    assert!(in_v4(ip, ip, 32));
    let v6: Ipv6Addr = "cafe:babe:8000::1".parse().unwrap();
    assert!(in_v6(v6, "cafe:babe:8000::".parse().unwrap(), 33));
    assert!(!in_v6(v6, "cafe:babe::".parse().unwrap(), 33));
    assert!(in_v6(v6, "::".parse().unwrap(), 0));
}

#[test]
fn reverse_names_and_domains() {
    // reverse_name itself is tested where it lives (dns::reverse).
    assert_eq!(
        canonical_ip("::ffff:1.2.3.4".parse().unwrap()),
        "1.2.3.4".parse::<IpAddr>().unwrap()
    );
    assert!(is_valid_domain("example.com"));
    assert!(is_valid_domain("example.com."));
    assert!(!is_valid_domain("A2345678"));
    assert!(!is_valid_domain("[1.2.3.5]"));
    assert!(!is_valid_domain("a...example.com"));
    assert!(!is_valid_domain(&format!("{}.example.com", "a".repeat(64))));
    assert!(is_valid_domain(&format!("{}.example.com", "a".repeat(63))));
}

#[test]
fn validated_name_preference() {
    let names = vec!["mx.other.net".to_string(), "mail.example.com".to_string()];
    assert_eq!(
        pick_validated(&names, "example.com").as_deref(),
        Some("mail.example.com")
    );
    assert_eq!(
        pick_validated(&names, "x.org").as_deref(),
        Some("mx.other.net")
    );
    assert_eq!(pick_validated(&[], "x.org"), None);
}
