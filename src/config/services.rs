//! nodemailer's well-known services (`lib/well-known/services.json`, nodemailer 8–10):
//! a `service` key in the config replaces host, port, secure (and requireTLS, authMethod
//! where listed) with these values. Kept as data; refresh it from nodemailer when it moves.

#[derive(Debug, PartialEq)]
pub struct WellKnownService {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub domains: &'static [&'static str],
    pub host: Option<&'static str>,
    pub port: Option<u16>,
    pub secure: Option<bool>,
    pub require_tls: Option<bool>,
    pub ignore_tls: Option<bool>,
    pub auth_method: Option<&'static str>,
}

const fn svc(
    name: &'static str,
    host: &'static str,
    port: u16,
    secure: Option<bool>,
) -> WellKnownService {
    WellKnownService {
        name,
        aliases: &[],
        domains: &[],
        host: Some(host),
        port: Some(port),
        secure,
        require_tls: None,
        ignore_tls: None,
        auth_method: None,
    }
}

const T: Option<bool> = Some(true);
const F: Option<bool> = Some(false);
const N: Option<bool> = None;

macro_rules! with {
    ($s:expr, aliases: $a:expr) => {
        WellKnownService { aliases: $a, ..$s }
    };
    ($s:expr, domains: $d:expr) => {
        WellKnownService { domains: $d, ..$s }
    };
    ($s:expr, aliases: $a:expr, domains: $d:expr) => {
        WellKnownService {
            aliases: $a,
            domains: $d,
            ..$s
        }
    };
}

pub static SERVICES: &[WellKnownService] = &[
    WellKnownService {
        auth_method: Some("LOGIN"),
        ..svc("1und1", "smtp.1und1.de", 465, T)
    },
    svc("126", "smtp.126.com", 465, T),
    svc("163", "smtp.163.com", 465, T),
    with!(svc("Aliyun", "smtp.aliyun.com", 465, T), domains: &["aliyun.com"]),
    svc("AliyunQiye", "smtp.qiye.aliyun.com", 465, T),
    with!(svc("AOL", "smtp.aol.com", 587, N), domains: &["aol.com"]),
    WellKnownService {
        auth_method: Some("LOGIN"),
        ..with!(svc("Aruba", "smtps.aruba.it", 465, T), aliases: &["Aruba PEC"], domains: &["aruba.it", "pec.aruba.it"])
    },
    with!(svc("Bluewin", "smtpauths.bluewin.ch", 465, N), domains: &["bluewin.ch"]),
    WellKnownService {
        require_tls: T,
        ..with!(svc("BOL", "smtp.bol.com.br", 587, N), domains: &["bol.com.br"])
    },
    svc("DebugMail", "debugmail.io", 25, N),
    WellKnownService {
        auth_method: Some("LOGIN"),
        ..with!(svc("Disroot", "smtp.disroot.org", 587, T), domains: &["disroot.org"])
    },
    with!(svc("DynectEmail", "smtp.dynect.net", 25, N), aliases: &["Dynect"]),
    with!(svc("ElasticEmail", "smtp.elasticemail.com", 465, T), aliases: &["Elastic Email"]),
    with!(svc("Ethereal", "smtp.ethereal.email", 587, N), aliases: &["ethereal.email"]),
    with!(svc("FastMail", "smtp.fastmail.com", 465, T), domains: &["fastmail.fm"]),
    with!(svc("Feishu Mail", "smtp.feishu.cn", 465, T), aliases: &["Feishu", "FeishuMail"], domains: &["www.feishu.cn"]),
    with!(svc("Forward Email", "smtp.forwardemail.net", 465, T), aliases: &["FE", "ForwardEmail"], domains: &["forwardemail.net"]),
    with!(svc("GandiMail", "mail.gandi.net", 587, N), aliases: &["Gandi", "Gandi Mail"]),
    with!(svc("Gmail", "smtp.gmail.com", 465, T), aliases: &["Google Mail"], domains: &["gmail.com", "googlemail.com"]),
    with!(svc("GMX", "mail.gmx.com", 587, N), domains: &["gmx.com", "gmx.net", "gmx.de"]),
    svc("Godaddy", "smtpout.secureserver.net", 25, N),
    svc("GodaddyAsia", "smtp.asia.secureserver.net", 25, N),
    svc("GodaddyEurope", "smtp.europe.secureserver.net", 25, N),
    WellKnownService {
        port: None,
        ..svc("hot.ee", "mail.hot.ee", 0, N)
    },
    with!(svc("Hotmail", "smtp-mail.outlook.com", 587, N), aliases: &["Outlook", "Outlook.com", "Hotmail.com"], domains: &["hotmail.com", "outlook.com"]),
    with!(svc("iCloud", "smtp.mail.me.com", 587, N), aliases: &["Me", "Mac"], domains: &["me.com", "mac.com"]),
    with!(svc("Infomaniak", "mail.infomaniak.com", 587, N), domains: &["ik.me", "ikmail.com", "etik.com"]),
    WellKnownService {
        auth_method: Some("LOGIN"),
        ..with!(svc("KolabNow", "smtp.kolabnow.com", 465, T), aliases: &["Kolab"], domains: &["kolabnow.com"])
    },
    svc("Loopia", "mailcluster.loopia.se", 465, N),
    svc("Loops", "smtp.loops.so", 587, N),
    WellKnownService {
        port: None,
        ..svc("mail.ee", "smtp.mail.ee", 0, N)
    },
    svc("Mail.ru", "smtp.mail.ru", 465, T),
    svc("Mailcatch.app", "sandbox-smtp.mailcatch.app", 2525, N),
    WellKnownService {
        host: None,
        ignore_tls: T,
        ..svc("Maildev", "", 1025, N)
    },
    svc("MailerSend", "smtp.mailersend.net", 587, N),
    svc("Mailgun", "smtp.mailgun.org", 465, T),
    svc("Mailjet", "in.mailjet.com", 587, N),
    svc("Mailosaur", "mailosaur.io", 25, N),
    svc("Mailtrap", "live.smtp.mailtrap.io", 587, N),
    svc("Mandrill", "smtp.mandrillapp.com", 587, N),
    svc("Naver", "smtp.naver.com", 587, N),
    svc("OhMySMTP", "smtp.ohmysmtp.com", 587, F),
    svc("One", "send.one.com", 465, T),
    with!(svc("OpenMailBox", "smtp.openmailbox.org", 465, T), aliases: &["OMB", "openmailbox.org"]),
    svc("Outlook365", "smtp.office365.com", 587, F),
    with!(svc("Postmark", "smtp.postmarkapp.com", 2525, N), aliases: &["PostmarkApp"]),
    WellKnownService {
        require_tls: T,
        ..with!(svc("Proton", "smtp.protonmail.ch", 587, N), aliases: &["ProtonMail", "Proton.me", "Protonmail.com", "Protonmail.ch"], domains: &["proton.me", "protonmail.com", "pm.me", "protonmail.ch"])
    },
    svc("qiye.aliyun", "smtp.mxhichina.com", 465, T),
    with!(svc("QQ", "smtp.qq.com", 465, T), domains: &["qq.com"]),
    with!(svc("QQex", "smtp.exmail.qq.com", 465, T), aliases: &["QQ Enterprise"], domains: &["exmail.qq.com"]),
    svc("Resend", "smtp.resend.com", 465, T),
    with!(svc("Runbox", "smtp.runbox.com", 465, T), domains: &["runbox.com"]),
    svc("SendCloud", "smtp.sendcloud.net", 2525, N),
    svc("SendGrid", "smtp.sendgrid.net", 587, N),
    with!(svc("SendinBlue", "smtp-relay.brevo.com", 587, N), aliases: &["Brevo"]),
    svc("SendPulse", "smtp-pulse.com", 465, T),
    svc("SES", "email-smtp.us-east-1.amazonaws.com", 465, T),
    svc(
        "SES-AP-NORTHEAST-1",
        "email-smtp.ap-northeast-1.amazonaws.com",
        465,
        T,
    ),
    svc(
        "SES-AP-NORTHEAST-2",
        "email-smtp.ap-northeast-2.amazonaws.com",
        465,
        T,
    ),
    svc(
        "SES-AP-NORTHEAST-3",
        "email-smtp.ap-northeast-3.amazonaws.com",
        465,
        T,
    ),
    svc(
        "SES-AP-SOUTH-1",
        "email-smtp.ap-south-1.amazonaws.com",
        465,
        T,
    ),
    svc(
        "SES-AP-SOUTHEAST-1",
        "email-smtp.ap-southeast-1.amazonaws.com",
        465,
        T,
    ),
    svc(
        "SES-AP-SOUTHEAST-2",
        "email-smtp.ap-southeast-2.amazonaws.com",
        465,
        T,
    ),
    svc(
        "SES-CA-CENTRAL-1",
        "email-smtp.ca-central-1.amazonaws.com",
        465,
        T,
    ),
    svc(
        "SES-EU-CENTRAL-1",
        "email-smtp.eu-central-1.amazonaws.com",
        465,
        T,
    ),
    svc(
        "SES-EU-NORTH-1",
        "email-smtp.eu-north-1.amazonaws.com",
        465,
        T,
    ),
    svc(
        "SES-EU-WEST-1",
        "email-smtp.eu-west-1.amazonaws.com",
        465,
        T,
    ),
    svc(
        "SES-EU-WEST-2",
        "email-smtp.eu-west-2.amazonaws.com",
        465,
        T,
    ),
    svc(
        "SES-EU-WEST-3",
        "email-smtp.eu-west-3.amazonaws.com",
        465,
        T,
    ),
    svc(
        "SES-SA-EAST-1",
        "email-smtp.sa-east-1.amazonaws.com",
        465,
        T,
    ),
    svc(
        "SES-US-EAST-1",
        "email-smtp.us-east-1.amazonaws.com",
        465,
        T,
    ),
    svc(
        "SES-US-EAST-2",
        "email-smtp.us-east-2.amazonaws.com",
        465,
        T,
    ),
    svc(
        "SES-US-GOV-EAST-1",
        "email-smtp.us-gov-east-1.amazonaws.com",
        465,
        T,
    ),
    svc(
        "SES-US-GOV-WEST-1",
        "email-smtp.us-gov-west-1.amazonaws.com",
        465,
        T,
    ),
    svc(
        "SES-US-WEST-1",
        "email-smtp.us-west-1.amazonaws.com",
        465,
        T,
    ),
    svc(
        "SES-US-WEST-2",
        "email-smtp.us-west-2.amazonaws.com",
        465,
        T,
    ),
    with!(svc("Seznam", "smtp.seznam.cz", 465, T), aliases: &["Seznam Email"], domains: &["seznam.cz", "email.cz", "post.cz", "spoluzaci.cz"]),
    svc("SMTP2GO", "mail.smtp2go.com", 2525, N),
    with!(svc("Sparkpost", "smtp.sparkpostmail.com", 587, F), aliases: &["SparkPost", "SparkPost Mail"], domains: &["sparkpost.com"]),
    svc("Tipimail", "smtp.tipimail.com", 587, N),
    with!(svc("Tutanota", "smtp.tutanota.com", 465, T), domains: &["tutanota.com", "tuta.com", "tutanota.de", "tuta.io"]),
    with!(svc("Yahoo", "smtp.mail.yahoo.com", 465, T), domains: &["yahoo.com"]),
    with!(svc("Yandex", "smtp.yandex.ru", 465, T), domains: &["yandex.ru"]),
    WellKnownService {
        require_tls: T,
        ..with!(svc("Zimbra", "smtp.zimbra.com", 587, N), aliases: &["Zimbra Collaboration"])
    },
    WellKnownService {
        auth_method: Some("LOGIN"),
        ..svc("Zoho", "smtp.zoho.com", 465, T)
    },
];

/// nodemailer's key normalisation: drop everything but letters, digits, `.` and `-`; lower-case.
fn normalise(key: &str) -> String {
    key.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
        .collect::<String>()
        .to_ascii_lowercase()
}

/// The service nodemailer looks up for `service: name` (by name, alias or mail domain).
pub fn well_known(name: &str) -> Option<&'static WellKnownService> {
    let key = normalise(name);
    if key.is_empty() {
        return None;
    }
    SERVICES.iter().find(|s| {
        normalise(s.name) == key
            || s.aliases.iter().any(|a| normalise(a) == key)
            || s.domains.iter().any(|d| normalise(d) == key)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_by_name_alias_and_domain() {
        let cases = [
            ("Gmail", Some("smtp.gmail.com")),
            ("gmail", Some("smtp.gmail.com")),
            ("Google Mail", Some("smtp.gmail.com")),
            ("googlemail.com", Some("smtp.gmail.com")),
            ("Outlook365", Some("smtp.office365.com")),
            ("outlook", Some("smtp-mail.outlook.com")),
            ("QQ", Some("smtp.qq.com")),
            ("Aliyun", Some("smtp.aliyun.com")),
            ("SES-EU-WEST-1", Some("email-smtp.eu-west-1.amazonaws.com")),
            ("Brevo", Some("smtp-relay.brevo.com")),
            ("NoSuchService", None),
            ("", None),
        ];
        for (name, host) in cases {
            assert_eq!(well_known(name).and_then(|s| s.host), host, "{name}");
        }
        let zoho = well_known("Zoho").unwrap();
        assert_eq!(
            (zoho.port, zoho.secure, zoho.auth_method),
            (Some(465), Some(true), Some("LOGIN"))
        );
        assert_eq!(well_known("SendGrid").unwrap().secure, None);
    }
}
