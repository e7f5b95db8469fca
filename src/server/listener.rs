//! Serving connections as a deployment meets them: HTTP/1.1 with a header-read timeout, an
//! idle keep-alive timeout, a cap on open connections, and a shutdown that drains for at
//! most a deadline. `axum::serve`, even `with_graceful_shutdown`, gives hyper no timer (so no
//! header-read timeout), has no idle timeout and no cap, and drains without a deadline: hence
//! this accept loop of our own.

use crate::config::SiteSettings;
use axum::{extract::ConnectInfo, Router};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
};
use std::{
    future::Future,
    io,
    pin::Pin,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    task::{Context, Poll},
    time::{Duration, Instant},
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpListener,
    sync::Semaphore,
};
use tower::ServiceExt;

/// Serves `app` until `shutdown` completes, then lets requests in progress finish for at most
/// `limits.shutdown_timeout`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &SiteSettings,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    // Hyper arms this timer whenever it waits for a request's head: when the connection opens,
    // and again each time a kept-alive connection goes idle after a response (hyper 1.12,
    // `proto/h1/conn.rs`: `State::idle` asks for another read, and `poll_read_head` starts the
    // timer). So no connection idles longer than this; `Activity` below only closes an idle one
    // sooner, when the keep-alive timeout is the shorter, as it is by default (5 s, 10 s).
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    tokio::pin!(shutdown);
    loop {
        // At the cap, further connections wait in the kernel's queue until one closes.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let activity = Activity::default();
        let io = TokioIo::new(Watched {
            inner: stream,
            activity: activity.clone(),
        });
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(request)
        });
        let connection = graceful.watch(http.serve_connection(io, service));
        let keep_alive = limits.keep_alive_timeout;
        let open = metrics::gauge!("leadistry_open_connections");
        open.increment(1.0);
        tokio::spawn(async move {
            tokio::select! {
                _ = connection => {}
                // Dropping the connection closes it.
                () = activity.idle(keep_alive) => {}
            }
            open.decrement(1.0);
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_timeout) => {
            tracing::warn!("requests still in progress after the shutdown timeout: closing them");
        }
    }
}

/// When a connection last did something, to close it once it has sat with no request in it.
/// Hyper has one timer for "no complete head yet", which cannot tell an idle connection from a
/// slow head; this is the other. It also ends a connection whose peer stopped reading a
/// response (nothing written, nothing read), which hyper's header-read timer does not.
#[derive(Clone)]
struct Activity(Arc<ActivityState>);

struct ActivityState {
    since: Instant,
    /// Milliseconds after `since` of the last bytes written.
    last_write: AtomicU64,
    /// Bytes arrived since then: a request is being read or answered.
    read_since_write: AtomicBool,
}

impl Default for Activity {
    fn default() -> Self {
        Self(Arc::new(ActivityState {
            since: Instant::now(),
            last_write: AtomicU64::new(0),
            read_since_write: AtomicBool::new(false),
        }))
    }
}

impl Activity {
    fn read(&self) {
        self.0.read_since_write.store(true, Ordering::Relaxed);
    }

    fn wrote(&self) {
        let now = self.0.since.elapsed().as_millis() as u64;
        self.0.last_write.store(now, Ordering::Relaxed);
        self.0.read_since_write.store(false, Ordering::Relaxed);
    }

    /// Completes once the connection has had no request in it for `timeout`: nothing
    /// arrived since the last response (or since it opened).
    async fn idle(&self, timeout: Duration) {
        loop {
            let idle_for = if self.0.read_since_write.load(Ordering::Relaxed) {
                Duration::ZERO
            } else {
                let last = Duration::from_millis(self.0.last_write.load(Ordering::Relaxed));
                self.0.since.elapsed().saturating_sub(last)
            };
            if idle_for >= timeout {
                return;
            }
            tokio::time::sleep(timeout - idle_for).await;
        }
    }
}

/// A connection's stream that tells `Activity` when bytes move.
struct Watched<T> {
    inner: T,
    activity: Activity,
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.read();
        }
        poll
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        poll
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
