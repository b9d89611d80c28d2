//! E-mail over SMTP with lettre: STARTTLS or implicit TLS (rustls), or plain for a local relay.
//! Subjects are encoded per RFC 2047 and bodies as quoted-printable or base64 by lettre, so Chinese text
//! arrives readable.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::{Refusal, SendError};

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// STARTTLS, required (port 587 by default).
    StartTls,
    /// TLS from the first byte (`smtps://`, port 465 by default).
    Implicit,
    /// No TLS: only for a relay on the same host or network.
    None,
}

/// An SMTP server: `smtp://user:pass@host:587?tls=starttls` (`tls=tls` or `smtps://` for implicit TLS,
/// `tls=none` for a local relay).
#[derive(Clone)]
pub struct Email {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// For logs and the admin page, without the password.
    pub described: String,
    /// The host named in Message-IDs.
    host: String,
}

impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.described)
    }
}

impl Email {
    /// `ca`: extra trusted root certificates (PEM), for a mail server whose certificate a government
    /// intranet's own CA signed; the public roots are trusted as well.
    pub fn from_url(smtp: &str, from: &str, ca: Option<&[u8]>) -> Result<Email, Refusal> {
        let url = url::Url::parse(smtp).map_err(|e| Refusal::new(
            format!("邮件服务器地址无法识别：{e}。示例：smtp://user:pass@mail.example.gov.cn:587?tls=starttls"),
            format!("the SMTP URL does not parse: {e}; e.g. smtp://user:pass@mail.example.gov.cn:587?tls=starttls"),
        ))?;
        let tls = match (
            url.scheme(),
            url.query_pairs()
                .find(|(k, _)| k == "tls")
                .map(|(_, v)| v.into_owned()),
        ) {
            ("smtps", _) => Tls::Implicit,
            ("smtp", None) => Tls::StartTls,
            ("smtp", Some(t)) => match t.as_str() {
                "starttls" | "required" => Tls::StartTls,
                "tls" | "implicit" | "wrapper" => Tls::Implicit,
                "none" | "plain" => Tls::None,
                other => {
                    return Err(Refusal::new(
                        format!("tls={other} 无法识别，可选 starttls、tls、none"),
                        format!("tls={other} is not one of starttls, tls, none"),
                    ));
                }
            },
            (other, _) => {
                return Err(Refusal::new(
                    format!("邮件服务器地址须以 smtp:// 或 smtps:// 开头（不是 {other}://）"),
                    format!("the SMTP URL must begin with smtp:// or smtps:// (not {other}://)"),
                ));
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| Refusal::new("邮件服务器地址缺少主机名", "the SMTP URL names no host"))?
            .to_owned();
        let port = url.port().unwrap_or(match tls {
            Tls::StartTls => 587,
            Tls::Implicit => 465,
            Tls::None => 25,
        });
        let smtp_err = |e: lettre::transport::smtp::Error| {
            Refusal::new(format!("邮件服务器配置有误：{e}"), e.to_string())
        };
        let mut builder = match tls {
            Tls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&host).map_err(smtp_err)?,
            Tls::Implicit => AsyncSmtpTransport::<Tokio1Executor>::relay(&host).map_err(smtp_err)?,
            Tls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host),
        }
        .port(port)
        .timeout(Some(Duration::from_secs(15)));
        if let Some(pem) = ca
            && tls != Tls::None
        {
            let cert = Certificate::from_pem(pem).map_err(|e| {
                Refusal::new(
                    format!("根证书文件无法读取（{e}），请提供 PEM 格式的证书"),
                    format!("the CA certificate file does not parse ({e}); give PEM certificates"),
                )
            })?;
            let params = TlsParameters::builder(host.clone())
                .add_root_certificate(cert)
                .build_rustls()
                .map_err(smtp_err)?;
            builder = builder.tls(match tls {
                Tls::Implicit => lettre::transport::smtp::client::Tls::Wrapper(params),
                _ => lettre::transport::smtp::client::Tls::Required(params),
            });
        }
        if !url.username().is_empty() {
            let user = percent_decode(url.username());
            let pass = percent_decode(url.password().unwrap_or(""));
            builder = builder.credentials(Credentials::new(user, pass));
        }
        let from: Mailbox = from.parse().map_err(|e| {
            Refusal::new(
                format!("发件人地址“{from}”无效（{e}），示例：onego@example.gov.cn"),
                format!("the sender address \"{from}\" is not valid ({e}); e.g. onego@example.gov.cn"),
            )
        })?;
        let described = format!(
            "{}://{}:{port} ({})",
            url.scheme(),
            host,
            match tls {
                Tls::StartTls => "STARTTLS",
                Tls::Implicit => "TLS",
                Tls::None => "plain",
            }
        );
        Ok(Email {
            transport: builder.build(),
            from,
            described,
            host,
        })
    }

    /// The Message-ID of outbox message `id`: the same on every attempt, so a repeat after a crash is
    /// visible to the recipient's mail system as the same message.
    pub fn message_id(&self, id: i64) -> String {
        format!("<onego-outbox-{id}@{}>", self.host)
    }

    /// Sends one text message; answers the Message-ID and the server's reply.
    pub async fn send(
        &self,
        id: i64,
        to: &str,
        subject: &str,
        body: &str,
    ) -> Result<(String, String), SendError> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| SendError::Permanent(format!("invalid address {to}: {e}")))?;
        let message_id = self.message_id(id);
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(message_id.clone()))
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        match self.transport.send(message).await {
            Ok(r) => Ok((
                message_id,
                format!("{} {}", r.code(), r.message().collect::<Vec<_>>().join(" ")),
            )),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) => Err(SendError::Transient(e.to_string())),
        }
    }
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_choose_tls_and_ports_and_refuse_what_they_cannot_use() {
        let e = Email::from_url(
            "smtp://u:p@mail.example.org?tls=starttls",
            "onego@example.org",
            None,
        )
        .expect("ok");
        assert_eq!(e.described, "smtp://mail.example.org:587 (STARTTLS)");
        let e = Email::from_url("smtps://mail.example.org", "onego@example.org", None).expect("ok");
        assert_eq!(e.described, "smtps://mail.example.org:465 (TLS)");
        let e = Email::from_url("smtp://127.0.0.1:2525?tls=none", "onego@example.org", None).expect("ok");
        assert_eq!(e.described, "smtp://127.0.0.1:2525 (plain)");
        assert!(Email::from_url("http://x", "a@b.c", None).is_err());
        assert!(Email::from_url("smtp://x?tls=maybe", "a@b.c", None).is_err());
        assert!(Email::from_url("smtp://x", "not an address", None).is_err());
        assert_eq!(e.message_id(7), "<onego-outbox-7@127.0.0.1>");
    }
}
