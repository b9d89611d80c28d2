//! SMS through the city's gateway over HTTP(S): one JSON POST per message, signed with HMAC-SHA256 so
//! the gateway can check it came from onego. The contract (docs/OPERATIONS.md, "SMS gateway"):
//!
//! ```text
//! POST <webhook URL>
//! Content-Type: application/json
//! X-Onego-Timestamp: <unix seconds>
//! X-Onego-Signature: sha256=<hex of HMAC-SHA256(secret, "<timestamp>.<body>")>
//! {"message_id": "onego-outbox-42", "phone": "13800138000", "template": "ONEGO_ACCEPTED",
//!  "params": {"number": "…", "title": "…"}, "text": "the rendered text", "segments": 1}
//! ```
//! A 2xx answer with `{"request_id": "…"}` (or `requestId`, `RequestId`, `BizId`) is success and the id is
//! stored; 4xx is permanent (not retried), anything else is tried again.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use sha2::Sha256;
use tokio_rustls::rustls::ClientConfig;

use crate::{Refusal, SendError};

#[derive(Clone)]
pub struct Sms {
    url: url::Url,
    secret: Vec<u8>,
    /// Built once: the trusted roots and protocol versions for an https:// gateway.
    tls: Arc<ClientConfig>,
    pub described: String,
}

impl std::fmt::Debug for Sms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.described)
    }
}

/// The signature of `body` sent at `timestamp`: what the gateway recomputes to check the sender.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Sms {
    /// `ca`: extra trusted root certificates (PEM) for a gateway behind an intranet CA.
    pub fn new(webhook: &str, secret: &str, ca: Option<&[u8]>) -> Result<Sms, Refusal> {
        let url = url::Url::parse(webhook).map_err(|e| {
            Refusal::new(
                format!("短信网关地址无法识别：{e}。示例：https://sms.example.gov.cn/send"),
                format!("the SMS webhook URL does not parse: {e}; e.g. https://sms.example.gov.cn/send"),
            )
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(Refusal::new(
                "短信网关地址须以 http:// 或 https:// 开头",
                "the SMS webhook must be an http:// or https:// URL",
            ));
        }
        if secret.len() < 16 {
            return Err(Refusal::new(
                "请设置至少16个字符的短信签名密钥（--sms-secret 或 ONEGO_SMS_SECRET）",
                "set an SMS signing secret of at least 16 characters (--sms-secret or ONEGO_SMS_SECRET)",
            ));
        }
        let mut roots = tokio_rustls::rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(pem) = ca {
            use tokio_rustls::rustls::pki_types::CertificateDer;
            use tokio_rustls::rustls::pki_types::pem::PemObject;
            let bad = |e: String| {
                Refusal::new(
                    format!("根证书文件无法读取（{e}），请提供 PEM 格式的证书"),
                    format!("the CA certificate file does not parse ({e}); give PEM certificates"),
                )
            };
            let certs = CertificateDer::pem_slice_iter(pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| bad(e.to_string()))?;
            if certs.is_empty() {
                return Err(bad("no certificate in it".into()));
            }
            for c in certs {
                roots.add(c).map_err(|e| bad(e.to_string()))?;
            }
        }
        let tls = ClientConfig::builder_with_provider(Arc::new(
            tokio_rustls::rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| Refusal::new(format!("TLS 配置失败：{e}"), e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let described = format!(
            "{}://{}{}",
            url.scheme(),
            url.host_str().unwrap_or(""),
            url.path()
        );
        Ok(Sms {
            url,
            secret: secret.as_bytes().to_vec(),
            tls: Arc::new(tls),
            described,
        })
    }

    /// Sends one SMS; answers the gateway's request id and its reply.
    pub async fn send(
        &self,
        id: i64,
        phone: &str,
        template: &str,
        params: &[(String, String)],
        text: &str,
        now_secs: i64,
    ) -> Result<(String, String), SendError> {
        let body = serde_json::json!({
            "message_id": format!("onego-outbox-{id}"),
            "phone": phone,
            "template": template,
            "params": params.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
            "text": text,
            "segments": crate::templates::sms_segments(text),
        })
        .to_string();
        let sig = signature(&self.secret, now_secs, body.as_bytes());
        let (status, answer) = tokio::time::timeout(Duration::from_secs(15), self.post(body, now_secs, &sig))
            .await
            .map_err(|_| SendError::Transient("the SMS gateway did not answer within 15 s".into()))??;
        let reply = String::from_utf8_lossy(&answer).into_owned();
        if (200..300).contains(&status) {
            let v: serde_json::Value = serde_json::from_slice(&answer).unwrap_or_default();
            let request_id = ["request_id", "requestId", "RequestId", "BizId"]
                .iter()
                .find_map(|k| v.get(*k).and_then(|x| x.as_str().map(str::to_owned)))
                .unwrap_or_default();
            Ok((request_id, format!("{status} {reply}")))
        } else if (400..500).contains(&status) && status != 408 && status != 429 {
            Err(SendError::Permanent(format!(
                "the gateway refused it: {status} {reply}"
            )))
        } else {
            Err(SendError::Transient(format!(
                "the gateway answered {status} {reply}"
            )))
        }
    }

    async fn post(&self, body: String, ts: i64, sig: &str) -> Result<(u16, Bytes), SendError> {
        let host = self.url.host_str().unwrap_or("").to_owned();
        let port = self.url.port_or_known_default().unwrap_or(80);
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| SendError::Transient(format!("cannot reach the SMS gateway: {e}")))?;
        let path = match self.url.query() {
            Some(q) => format!("{}?{q}", self.url.path()),
            None => self.url.path().to_owned(),
        };
        let req = hyper::Request::post(path)
            .header(hyper::header::HOST, host.clone())
            .header(hyper::header::CONTENT_TYPE, "application/json; charset=utf-8")
            .header("X-Onego-Timestamp", ts.to_string())
            .header("X-Onego-Signature", format!("sha256={sig}"))
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        if self.url.scheme() == "https" {
            let name = tokio_rustls::rustls::pki_types::ServerName::try_from(host.clone())
                .map_err(|e| SendError::Permanent(e.to_string()))?;
            let tls = tokio_rustls::TlsConnector::from(self.tls.clone())
                .connect(name, tcp)
                .await
                .map_err(|e| SendError::Transient(format!("TLS with the SMS gateway failed: {e}")))?;
            exchange(hyper_util::rt::TokioIo::new(tls), req).await
        } else {
            exchange(hyper_util::rt::TokioIo::new(tcp), req).await
        }
    }
}

async fn exchange<I>(io: I, req: hyper::Request<Full<Bytes>>) -> Result<(u16, Bytes), SendError>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| SendError::Transient(e.to_string()))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let res = sender
        .send_request(req)
        .await
        .map_err(|e| SendError::Transient(e.to_string()))?;
    let status = res.status().as_u16();
    // A gateway's answer is small; more than 64 KB is not an answer.
    let body = Limited::new(res.into_body(), 64 * 1024)
        .collect()
        .await
        .map_err(|e| SendError::Transient(e.to_string()))?
        .to_bytes();
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // RFC 4231 test case 2 ("Jefe", "what do ya want for nothing?") checks the primitive; the message
        // here is "<timestamp>.<body>" split as "what do ya want " + "." + …, so build it so.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"Jefe").expect("key");
        mac.update(b"what do ya want for nothing?");
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(signature(b"k", 1, b"{}").len(), 64);
        assert_ne!(signature(b"k", 1, b"{}"), signature(b"k", 2, b"{}"));
    }

    #[test]
    fn a_webhook_needs_an_http_url_and_a_real_secret() {
        assert!(Sms::new("ftp://x/y", "0123456789abcdef", None).is_err());
        assert!(Sms::new("http://127.0.0.1:9/send", "short", None).is_err());
        let s = Sms::new("https://sms.example.gov.cn/send?x=1", "0123456789abcdef", None).expect("ok");
        assert_eq!(s.described, "https://sms.example.gov.cn/send");
    }
}
