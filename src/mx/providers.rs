//! Mail hosted by a provider, recognised from the MX host name. Their reverse DNS is the
//! provider's to run (and it is right: they are among the biggest receivers), so the domain's
//! owner can neither fix nor break it; the FCrDNS check skips them and says so.
//!
//! A companion of [`crate::config::providers`], which recognises the same companies by their
//! SMTP submission hosts; these are their inbound (MX) names, plus the receive-only
//! services (filtering gateways, mailbox hosts) a domain's MX commonly points at.

/// (host suffix, provider). A suffix matches the whole name or a label boundary.
pub static MX_PROVIDERS: &[(&str, &str)] = &[
    ("google.com", "Google Workspace"),
    ("googlemail.com", "Google Workspace"),
    ("smtp.google.com", "Google Workspace"),
    ("mail.protection.outlook.com", "Microsoft 365"),
    ("outlook.com", "Microsoft"),
    ("hotmail.com", "Microsoft"),
    ("zoho.com", "Zoho Mail"),
    ("zoho.eu", "Zoho Mail"),
    ("qq.com", "Tencent (QQ / Exmail)"),
    ("yahoodns.net", "Yahoo"),
    ("icloud.com", "Apple iCloud"),
    ("messagingengine.com", "Fastmail"),
    ("pphosted.com", "Proofpoint"),
    ("ppe-hosted.com", "Proofpoint Essentials"),
    ("mimecast.com", "Mimecast"),
    ("mimecast.co.za", "Mimecast"),
    ("barracudanetworks.com", "Barracuda"),
    ("mailgun.org", "Mailgun"),
    ("amazonses.com", "Amazon SES"),
    ("sendgrid.net", "SendGrid"),
    ("yandex.net", "Yandex"),
    ("mxhichina.com", "Alibaba Mail"),
];

/// The provider that runs `host`, when recognised.
pub fn provider_for_mx(host: &str) -> Option<&'static str> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    MX_PROVIDERS
        .iter()
        .find(|(suffix, _)| {
            host == *suffix
                || host
                    .strip_suffix(suffix)
                    .is_some_and(|rest| rest.ends_with('.'))
        })
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_provider_mx_hosts_on_label_boundaries() {
        assert_eq!(
            provider_for_mx("aspmx.l.google.com."),
            Some("Google Workspace")
        );
        assert_eq!(
            provider_for_mx("example-com.mail.protection.outlook.com"),
            Some("Microsoft 365")
        );
        assert_eq!(
            provider_for_mx("mx01.mail.icloud.com"),
            Some("Apple iCloud")
        );
        // Not a label boundary: someone else's domain.
        assert_eq!(provider_for_mx("mx.notgoogle.com"), None);
        assert_eq!(provider_for_mx("mx1.example.com"), None);
    }
}
