//! Delivery settings shared by `serve` and `notify test`, and the `notify` commands.

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use onego_notify::templates::{built_in, render};
use onego_notify::{Delivery, Email, Sms};
use onego_store::outbox::Channel;

/// Where messages go beyond the app (docs/OPERATIONS.md, "E-mail and SMS").
#[derive(Debug, Clone, Args)]
pub(crate) struct DeliveryArgs {
    /// SMTP server: smtp://user:pass@host:587?tls=starttls (tls=tls or smtps:// for implicit TLS,
    /// tls=none only for a local relay).
    #[arg(long, env = "ONEGO_SMTP", hide_env_values = true)]
    pub smtp: Option<String>,
    /// The sender of e-mail, e.g. "一次办好 <onego@example.gov.cn>".
    #[arg(long, env = "ONEGO_SMTP_FROM", default_value = "onego <onego@localhost>")]
    pub smtp_from: String,
    /// SMS gateway: a URL that takes the signed JSON POST described in docs/OPERATIONS.md.
    #[arg(long, env = "ONEGO_SMS_WEBHOOK")]
    pub sms_webhook: Option<String>,
    /// The HMAC-SHA256 key the SMS gateway checks signatures with (16 characters or more).
    #[arg(long, env = "ONEGO_SMS_SECRET", hide_env_values = true, default_value = "")]
    pub sms_secret: String,
    /// Extra trusted root certificates (a PEM file) for the mail server and the SMS gateway, when an
    /// intranet CA signed theirs; the public roots stay trusted.
    #[arg(long, env = "ONEGO_TLS_CA")]
    pub tls_ca: Option<std::path::PathBuf>,
    /// Attempts before a message is marked failed (an administrator can resend it).
    #[arg(long, env = "ONEGO_DELIVERY_ATTEMPTS", default_value_t = 8)]
    pub delivery_attempts: i64,
    /// Seconds before the first retry after an error; each further retry waits twice as long, at
    /// most an hour.
    #[arg(long, env = "ONEGO_DELIVERY_RETRY_AFTER", default_value_t = 30)]
    pub delivery_retry_after: u32,
    /// Hold non-urgent SMS between 22:00 and 08:00 China time (`false` only where the city's rules
    /// differ, or for tests).
    #[arg(long, env = "ONEGO_SMS_QUIET_HOURS", default_value_t = true, action = clap::ArgAction::Set)]
    pub sms_quiet_hours: bool,
}

/// The delivery these settings describe; refuses a setting that cannot work, saying why.
pub(crate) fn delivery(a: &DeliveryArgs) -> anyhow::Result<Delivery> {
    let ca = match &a.tls_ca {
        Some(path) => Some(std::fs::read(path).with_context(|| {
            format!(
                "cannot read the CA certificate file {} (--tls-ca)",
                path.display()
            )
        })?),
        None => None,
    };
    let email = match &a.smtp {
        Some(url) if !url.trim().is_empty() => {
            Some(Email::from_url(url, &a.smtp_from, ca.as_deref()).map_err(|r| anyhow::anyhow!("{}", r.en))?)
        }
        _ => None,
    };
    let sms = match &a.sms_webhook {
        Some(url) if !url.trim().is_empty() => {
            Some(Sms::new(url, &a.sms_secret, ca.as_deref()).map_err(|r| anyhow::anyhow!("{}", r.en))?)
        }
        _ => None,
    };
    if a.delivery_attempts < 1 {
        bail!("--delivery-attempts must be 1 or more");
    }
    if !(1..=3600).contains(&a.delivery_retry_after) {
        bail!("--delivery-retry-after must be 1 to 3600 seconds");
    }
    Ok(Delivery {
        email,
        sms,
        max_attempts: a.delivery_attempts,
        owner: format!("onego-{}", std::process::id()),
        quiet_hours: a.sms_quiet_hours,
        retry_after_ms: i64::from(a.delivery_retry_after) * 1000,
    })
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum TestChannel {
    Email,
    Sms,
}

#[derive(Debug, Subcommand)]
pub(crate) enum NotifyCommand {
    /// Send one test message through the configured channel and print what the server answered.
    Test {
        #[arg(long)]
        channel: TestChannel,
        /// An e-mail address or a mobile number.
        #[arg(long)]
        to: String,
        #[command(flatten)]
        delivery: DeliveryArgs,
    },
}

pub(crate) fn run(c: NotifyCommand) -> anyhow::Result<()> {
    let NotifyCommand::Test {
        channel,
        to,
        delivery: args,
    } = c;
    let d = delivery(&args)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let lang = "zh";
        match channel {
            TestChannel::Email => {
                let email = d
                    .email
                    .context("no e-mail server: give --smtp URL (or ONEGO_SMTP)")?;
                onego_domain::values::Email::parse(&to).map_err(|e| anyhow::anyhow!("{}", e.msg().en))?;
                let t = built_in("test", Channel::Email, lang).context("test template")?;
                let r = render(&t, &[])?;
                let (id, reply) = email
                    .send(onego_store::now_millis(), &to, &r.subject, &r.body)
                    .await
                    .map_err(|e| anyhow::anyhow!("the e-mail was not sent: {e}"))?;
                println!(
                    "sent to {to} via {}: Message-ID {id}; the server answered: {reply}",
                    email.described
                );
            }
            TestChannel::Sms => {
                let sms = d
                    .sms
                    .context("no SMS gateway: give --sms-webhook URL (or ONEGO_SMS_WEBHOOK)")?;
                onego_domain::values::Mobile::parse(&to).map_err(|e| anyhow::anyhow!("{}", e.msg().en))?;
                let t = built_in("test", Channel::Sms, lang).context("test template")?;
                let r = render(&t, &[])?;
                let (id, reply) = sms
                    .send(
                        onego_store::now_millis(),
                        &to,
                        &r.sms_code,
                        &[],
                        &r.body,
                        onego_store::now_millis() / 1000,
                    )
                    .await
                    .map_err(|e| anyhow::anyhow!("the SMS was not sent: {e}"))?;
                println!(
                    "sent to {to} via {}: request id {id}; the gateway answered: {reply}",
                    sms.described
                );
            }
        }
        Ok(())
    })
}
