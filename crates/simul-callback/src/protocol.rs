//! [`Protocol`]: what a connection's owner is told, asyncio style.

use std::io;

use crate::{EventLoop, Transport};

/// The callbacks of one connection (asyncio's `asyncio.Protocol`).
///
/// A protocol never reads or writes a socket itself. The loop calls it
/// when something happened, and it answers through the [`Transport`]:
///
/// ```text
///   connection_made ──> data_received* ──> eof_received? ──> connection_lost
///                        (pause_writing / resume_writing in between)
/// ```
///
/// `connection_made` is called once, first; `connection_lost` once, last
/// (after it nothing is called). Every method but `data_received` has a
/// default that does nothing.
///
/// # Examples
///
/// An echo server's protocol:
///
/// ```
/// use simul_callback::{EventLoop, Protocol, Transport};
///
/// struct Echo;
///
/// impl Protocol for Echo {
///     fn data_received(&mut self, _lp: &mut EventLoop, t: &Transport, data: &[u8]) {
///         let _ = t.write(data);
///     }
/// }
///
/// let mut lp = EventLoop::new()?;
/// let server = lp.create_server("127.0.0.1:0", || Box::new(Echo))?;
/// assert!(server.local_addr().port() != 0);
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait Protocol {
    /// The connection is up; `transport` is how to write to it (clone it
    /// to keep it).
    fn connection_made(&mut self, lp: &mut EventLoop, transport: &Transport) {
        let _ = (lp, transport);
    }

    /// Bytes arrived. They are only valid during the call.
    fn data_received(&mut self, lp: &mut EventLoop, transport: &Transport, data: &[u8]);

    /// The peer will send no more (it shut down its writing side, or
    /// closed). Return `true` to keep the connection open for writing (a
    /// half-close); by default (`false`) the transport closes itself.
    fn eof_received(&mut self, lp: &mut EventLoop, transport: &Transport) -> bool {
        let _ = (lp, transport);
        false
    }

    /// The connection is gone: `None` after a normal close (by either
    /// side), `Some(error)` when it failed (for example a peer reset). The
    /// socket is closed already.
    fn connection_lost(&mut self, lp: &mut EventLoop, error: Option<io::Error>) {
        let _ = (lp, error);
    }

    /// The transport's write buffer went over its high-water mark: stop
    /// producing data until [`resume_writing`](Protocol::resume_writing).
    /// Writes still work meanwhile (they are buffered, never dropped).
    fn pause_writing(&mut self) {}

    /// The write buffer drained to its low-water mark: produce again.
    fn resume_writing(&mut self) {}
}
