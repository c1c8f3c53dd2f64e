//! Delivers the email outbox (`app::store::outbox`) in the background: claims due messages
//! with a lease, sends each through SMTP or writes it as an `.eml` file, and records the
//! result: sent; failed for now, with a retry time from `outbox::backoff`; or, when the
//! address itself is refused (by lettre, or by the SMTP server with a permanent 5xx),
//! undeliverable: marked failed once and never tried again (issue 15: such a message was
//! retried for ever).
//!
//! A message is only marked sent after the transport accepted it, so a crash in between
//! sends it again once the lease expires. The retry carries the same Message-ID (derived
//! from the outbox id) and Date, so receivers can recognise it; the file transport writes
//! the same file name again, replacing the earlier copy.
use app::service::state::Clock;
use app::store::outbox::{self, OutboxMessage};
use app::store::Db;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// How long a claimed message is reserved for its sender before another may take it.
pub const LEASE: Duration = Duration::from_secs(120);
/// Messages claimed per round.
pub const BATCH: i64 = 20;
/// How often the worker looks for due messages when nobody wakes it.
pub const TICK: Duration = Duration::from_secs(1);
/// Longest an SMTP exchange may take; well inside the lease.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

pub const DEFAULT_FROM: &str = "Tessera <no-reply@tessera.localhost>";

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Writes each message as `<dir>/<created>-<id>.eml`.
    Files(PathBuf),
}

impl Transport {
    /// SMTP from a URL: `smtp://host:port` (plain, no TLS), `smtp://user:pass@host:port`,
    /// `smtp://host?tls=required` (STARTTLS) or `smtps://user:pass@host` (TLS).
    pub fn smtp(url: &str) -> anyhow::Result<Transport> {
        let t = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("invalid SMTP URL: {e}"))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Transport::Smtp(t))
    }

    /// The embedded default: `.eml` files under `<data_dir>/outbox/`.
    pub fn files_in(data_dir: &Path) -> Transport {
        Transport::Files(data_dir.join("outbox"))
    }

    /// SMTP when a URL is given, otherwise files under the data folder.
    pub fn from_config(smtp_url: Option<&str>, data_dir: &Path) -> anyhow::Result<Transport> {
        match smtp_url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => Transport::smtp(url),
            None => Ok(Transport::files_in(data_dir)),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp(_) => "SMTP".to_string(),
            Transport::Files(dir) => format!("files in {}", dir.display()),
        }
    }

    /// Hands one message over; the failure says whether trying again could help.
    async fn deliver(&self, msg: &OutboxMessage, email: Message) -> Result<(), Failure> {
        match self {
            Transport::Smtp(smtp) => {
                smtp.send(email).await.map_err(|e| Failure {
                    permanent: refuses_the_message(&e, &msg.to_addr),
                    error: format!("SMTP: {e}"),
                })?;
                tracing::info!(id = %msg.id, kind = %msg.kind, "email sent over SMTP");
                Ok(())
            }
            Transport::Files(dir) => {
                let path = write_eml(dir, msg, &email.formatted())
                    .await
                    .map_err(|error| Failure { error, permanent: false })?;
                tracing::info!(id = %msg.id, kind = %msg.kind, path = %path.display(), "email written");
                Ok(())
            }
        }
    }
}

/// Why a message was not handed over; `error` is fit for `outbox.last_error`.
#[derive(Debug)]
pub struct Failure {
    pub error: String,
    /// Trying again cannot help: the address (or this message) is refused for good.
    pub permanent: bool,
}

/// Whether an SMTP error refuses this message for good rather than for now. A permanent
/// reply (5xx) does, except the ones that say the server or our configuration is wrong
/// (a command it does not know, authentication): those concern every message, and must
/// be retried once the configuration is fixed. A non-ASCII address the server cannot take
/// (no SMTPUTF8) is refused for good too. Everything else (4xx, connection, TLS, timeouts)
/// is transient.
fn refuses_the_message(e: &lettre::transport::smtp::Error, to: &str) -> bool {
    if e.is_permanent() {
        let code = e.status().map(|c| c.to_string());
        let config = ["500", "502", "503", "504", "530", "534", "535", "538"];
        return !code.is_some_and(|c| config.contains(&c.as_str()));
    }
    e.is_client() && !to.is_ascii()
}

/// `<dir>/<created, compact UTC>-<id>.eml`, written to a hidden temporary file, flushed
/// to disk and renamed, so a reader never sees half a message.
async fn write_eml(dir: &Path, msg: &OutboxMessage, bytes: &[u8]) -> Result<PathBuf, String> {
    use tokio::io::AsyncWriteExt;
    let name = format!("{}-{}.eml", msg.created_at.format("%Y%m%dT%H%M%S%.3fZ"), msg.id);
    let path = dir.join(&name);
    let tmp = dir.join(format!(".{name}.tmp"));
    let fail = |what: &str, p: &Path, e: std::io::Error| format!("cannot {what} {}: {e}", p.display());
    tokio::fs::create_dir_all(dir).await.map_err(|e| fail("create", dir, e))?;
    let mut f = tokio::fs::File::create(&tmp).await.map_err(|e| fail("create", &tmp, e))?;
    f.write_all(bytes).await.map_err(|e| fail("write", &tmp, e))?;
    f.sync_all().await.map_err(|e| fail("flush", &tmp, e))?;
    drop(f);
    if let Err(e) = tokio::fs::rename(&tmp, &path).await {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(fail("rename to", &path, e));
    }
    Ok(path)
}

/// Builds the message as sent: multipart/alternative (text, then HTML), with a
/// Message-ID and Date fixed by the outbox row so a resend is the same message.
/// `eight_bit`: the bodies may be stored as raw UTF-8 (fine in a file; over SMTP, only
/// ASCII bodies go unencoded).
pub fn build_message(msg: &OutboxMessage, from: &Mailbox, eight_bit: bool) -> Result<Message, String> {
    let to: Mailbox = msg.to_addr.parse().map_err(|e| format!("recipient {:?}: {e}", msg.to_addr))?;
    Message::builder()
        .message_id(Some(format!("<{}@{}>", msg.id, from.email.domain())))
        .date(SystemTime::from(msg.created_at))
        .from(from.clone())
        .to(to)
        .subject(msg.subject.clone())
        .multipart(
            MultiPart::alternative()
                .singlepart(readable_part(ContentType::TEXT_PLAIN, &msg.text_body, eight_bit))
                .singlepart(readable_part(ContentType::TEXT_HTML, &msg.html_body, eight_bit)),
        )
        .map_err(|e| format!("cannot build the message: {e}"))
}

/// A body part left as it is written whenever the rules allow (lines of at most 998
/// bytes; ASCII, or UTF-8 where `eight_bit`), so links in a saved message can be read and
/// copied verbatim. lettre would quote-print any line over 76 characters, splitting long
/// URLs and turning `=` into `=3D`. Otherwise lettre chooses the encoding.
fn readable_part(content_type: ContentType, body: &str, eight_bit: bool) -> SinglePart {
    let crlf = body.replace("\r\n", "\n").replace('\r', "\n").replace('\n', "\r\n");
    let fits = !crlf.contains('\0') && crlf.split("\r\n").all(|line| line.len() <= 998);
    let encoding = match (fits, crlf.is_ascii(), eight_bit) {
        (true, true, _) => Some(ContentTransferEncoding::SevenBit),
        (true, false, true) => Some(ContentTransferEncoding::EightBit),
        _ => None,
    };
    let body = match encoding {
        Some(encoding) => Body::dangerous_pre_encoded(crlf.into_bytes(), encoding),
        None => Body::new(body.to_string()),
    };
    SinglePart::builder().header(content_type).body(body)
}

/// One round: delivers up to [`BATCH`] due messages. Each is claimed just before it is sent,
/// so its lease (2 min) always outlasts its own SMTP timeout (30 s), however slow the ones
/// before it were: another instance cannot take it over mid-send. Returns how many were
/// claimed.
pub async fn deliver_due(db: &Db, transport: &Transport, clock: &dyn Clock, from: &Mailbox) -> usize {
    let lease = chrono::Duration::from_std(LEASE).unwrap_or_else(|_| chrono::Duration::minutes(2));
    let mut n = 0;
    while (n as i64) < BATCH {
        let msg = match db.claim_due(clock.now(), lease, 1).await {
            Ok(c) => match c.into_iter().next() {
                Some(m) => m,
                None => break,
            },
            Err(e) => {
                tracing::warn!(error = %e, "outbox: cannot claim messages");
                break;
            }
        };
        n += 1;
        let result = match build_message(&msg, from, matches!(transport, Transport::Files(_))) {
            Ok(email) => transport.deliver(&msg, email).await,
            // lettre refuses the recipient (or the message): no attempt can succeed.
            Err(error) => Err(Failure { error, permanent: true }),
        };
        match result {
            Ok(()) => {
                if let Err(e) = db.mark_sent(&msg.id, clock.now()).await {
                    // The lease runs out and the message goes again, with the same Message-ID.
                    tracing::error!(id = %msg.id, error = %e, "outbox: delivered but cannot mark sent");
                }
            }
            Err(Failure { error, permanent: true }) => {
                tracing::warn!(id = %msg.id, kind = %msg.kind, error = %error,
                    "outbox: the message cannot be delivered; not retried");
                if let Err(e) = db.mark_undeliverable(&msg.id, &error, clock.now()).await {
                    tracing::error!(id = %msg.id, error = %e, "outbox: cannot record the failure");
                }
            }
            Err(Failure { error: err, permanent: false }) => {
                let attempts = msg.attempts + 1;
                let next = clock.now() + outbox::backoff(attempts);
                tracing::warn!(id = %msg.id, kind = %msg.kind, attempts, retry_at = %next, error = %err,
                    "outbox: delivery failed");
                if let Err(e) = db.mark_failed(&msg.id, &err, next).await {
                    tracing::error!(id = %msg.id, error = %e, "outbox: cannot record the failure");
                }
            }
        }
    }
    n
}

/// Runs the worker until the runtime stops: a round every second, at once when woken
/// through `Db::wake_outbox`, and straight again while rounds come back full.
pub fn spawn(
    db: Db,
    transport: Transport,
    clock: Arc<dyn Clock>,
    from: String,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let from: Mailbox = match from.parse() {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(from = %from, error = %e, "outbox: invalid sender address; email is not delivered");
                return;
            }
        };
        tracing::info!(transport = %transport.describe(), "outbox: delivery worker started");
        let notify = db.outbox_notifier();
        loop {
            // Registered before the round, so a wake-up during it is not lost.
            let notified = notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let n = deliver_due(&db, &transport, clock.as_ref(), &from).await;
            if n as i64 >= BATCH {
                continue;
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep(TICK) => {}
            }
        }
    })
}
