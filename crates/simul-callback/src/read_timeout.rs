//! Read timeouts: a connection whose peer sends nothing for too long is
//! closed (a slow or stalled client must not hold a server's socket and
//! memory forever, RELIABILITY.md #21).
//!
//! One watchdog timer per connection, and reads do not touch it: a read
//! that delivers data only notes the time (`read_mark`). When the timer
//! fires it compares the clock with `read_mark + timeout`: past it, the
//! connection is closed with `TimedOut`; not yet (data came meanwhile),
//! it is scheduled again for the new deadline. A busy connection thus
//! costs one clock read per burst of reads and one timer per timeout
//! period, not a timer-heap update per read.
//!
//! ```text
//!                 set_read_timeout(Some(d)) / accepted by a server with one
//!                                 |
//!        data read: mark = now    v
//!            +------------> Watching (timer at mark + d)
//!            |                |   |      |
//!            +----------------+   |      +-- timer fires, now < mark + d --> re-armed
//!                                 |
//!        pause_reading -----------+--> Suspended (the timer, when it fires,
//!                                 |    does nothing); resume_reading:
//!                                 |    mark = now, back to Watching
//!                                 |
//!        timer fires, now >= mark + d --> closed like abort;
//!                                         connection_lost(Some(TimedOut))
//!
//!   set_read_timeout(None), close, abort, end-of-file from the peer,
//!   an error: the watchdog is off for good (until set again).
//! ```

use std::io;
use std::rc::Rc;
use std::time::Duration;

use super::{Conn, Transport};
use crate::EventLoop;

/// The error of an invalid timeout (std's `set_read_timeout` also refuses
/// zero: it would mean "time out at once", never what is meant).
pub(crate) fn check_timeout(timeout: Option<Duration>) -> io::Result<()> {
    if timeout == Some(Duration::ZERO) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a zero read timeout is not allowed (use None for no timeout)",
        ));
    }
    Ok(())
}

impl Conn {
    /// A read delivered data: the period starts again. (Only the time is
    /// noted; the watchdog, when it fires, sees it.)
    #[inline]
    pub(super) fn note_data(&self, lp: &EventLoop) {
        let mut st = self.state.borrow_mut();
        if st.read_timeout.is_some() {
            st.read_mark = lp.time();
        }
    }

    /// Starts a full period now, for a caller without the loop at hand;
    /// returns whether a timeout is set (the caller then queues
    /// [`arm_read_timer`](Conn::arm_read_timer)).
    pub(super) fn restart_read_timeout(&self) -> bool {
        let mut st = self.state.borrow_mut();
        if st.read_timeout.is_none() {
            return false;
        }
        st.read_mark = self.clock.now();
        true
    }

    /// Sets the timeout of a connection just accepted by a server that has
    /// a default one, and starts its watchdog.
    pub(crate) fn start_read_timeout(self: &Rc<Conn>, lp: &mut EventLoop, timeout: Duration) {
        {
            let mut st = self.state.borrow_mut();
            st.read_timeout = Some(timeout);
            st.read_mark = lp.time();
        }
        self.arm_read_timer(lp);
    }

    /// Replaces the watchdog by one due at the end of the current period,
    /// or by none when the timeout is off or cannot apply (paused, closing,
    /// end-of-file, gone).
    pub(super) fn arm_read_timer(self: &Rc<Conn>, lp: &mut EventLoop) {
        let old = self.state.borrow_mut().read_timer.take();
        if let Some(old) = old {
            old.cancel(lp);
        }
        let when = {
            let st = self.state.borrow();
            if st.lost || st.closing || st.peer_eof || st.reading_paused {
                return;
            }
            let Some(timeout) = st.read_timeout else { return };
            st.read_mark.saturating_add(timeout)
        };
        // Weak: a pending watchdog must not keep a dropped connection
        // alive (teardown cancels it anyway).
        let weak = Rc::downgrade(self);
        let timer = lp.call_at_in(self.unit.get(), when, self.location, move |lp| {
            if let Some(conn) = weak.upgrade() {
                conn.read_timer_fired(lp);
            }
        });
        self.state.borrow_mut().read_timer = Some(timer);
    }

    /// The watchdog is due: close the connection if no data came in the
    /// whole period, else watch the next one.
    fn read_timer_fired(self: &Rc<Conn>, lp: &mut EventLoop) {
        let expired = {
            let mut st = self.state.borrow_mut();
            st.read_timer = None;
            if st.lost || st.closing || st.peer_eof || st.reading_paused {
                return;
            }
            let Some(timeout) = st.read_timeout else { return };
            if lp.time() < st.read_mark.saturating_add(timeout) {
                None
            } else {
                // Closed like `abort`: a peer this slow is not reading
                // our replies either, and flushing to it could take as long.
                st.lost = true;
                st.wbuf.clear();
                Some(timeout)
            }
        };
        match expired {
            None => self.arm_read_timer(lp),
            Some(timeout) => {
                let error = io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("read timeout: no data from the peer for {timeout:?}"),
                );
                self.teardown(lp, Some(error));
            }
        }
    }
}

impl Transport {
    /// Closes the connection when the peer sends nothing for `timeout`
    /// (`None`: wait forever, the default unless the
    /// [server](crate::Server::set_read_timeout) sets one).
    ///
    /// Every read that delivers data starts the period again, as does this
    /// call. When a period passes without data, the transport is closed at
    /// once, as by [`abort`](Transport::abort) (a peer that slow is not
    /// reading our writes either), and the protocol's `connection_lost`
    /// receives an error of kind [`TimedOut`](io::ErrorKind::TimedOut).
    /// Time is the loop's clock: under the virtual clock the close happens
    /// at exactly the deadline.
    ///
    /// While reading is [paused](Transport::pause_reading) the timeout
    /// does not run (the wait is ours, not the peer's);
    /// [`resume_reading`](Transport::resume_reading) starts a full period.
    /// After the peer's end-of-file, or [`close`](Transport::close), no
    /// data can come and the timeout no longer applies.
    ///
    /// Cost: one clock read per burst of reads, and one timer per period
    /// (reads do not reschedule it).
    ///
    /// # Errors
    ///
    /// `InvalidInput` for `Some(Duration::ZERO)` (as std's
    /// `TcpStream::set_read_timeout`); `NotConnected` when the transport
    /// is closing or closed.
    ///
    /// # Examples
    ///
    /// A server that closes a client which stays silent for two seconds
    /// (on the virtual clock, so the example takes no time):
    ///
    /// ```
    /// use simul_callback::{Deferred, EventLoop, Protocol, Transport};
    /// use simul_reactor::Clock;
    /// use std::{io, time::Duration};
    ///
    /// struct Strict(Deferred<(io::ErrorKind, Duration)>);
    /// impl Protocol for Strict {
    ///     fn connection_made(&mut self, _: &mut EventLoop, t: &Transport) {
    ///         t.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    ///     }
    ///     fn data_received(&mut self, _: &mut EventLoop, _: &Transport, _: &[u8]) {}
    ///     fn connection_lost(&mut self, lp: &mut EventLoop, error: Option<io::Error>) {
    ///         let kind = error.map_or(io::ErrorKind::Other, |e| e.kind());
    ///         let _ = self.0.set_result((kind, lp.time().since_origin()));
    ///     }
    /// }
    /// struct Silent;
    /// impl Protocol for Silent {
    ///     fn data_received(&mut self, _: &mut EventLoop, _: &Transport, _: &[u8]) {}
    /// }
    ///
    /// let mut lp = EventLoop::with_clock(Clock::new_virtual())?;
    /// let lost = Deferred::new();
    /// let l = lost.clone();
    /// let server = lp.create_server("127.0.0.1:0", move || Box::new(Strict(l.clone())))?;
    /// lp.create_connection(server.local_addr(), Silent)?;
    /// let (kind, at) = lp.run_until_complete(&lost)?;
    /// assert_eq!((kind, at), (io::ErrorKind::TimedOut, Duration::from_secs(2)));
    /// # Ok::<(), simul_callback::Error>(())
    /// ```
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        check_timeout(timeout)?;
        {
            let mut st = self.conn.state.borrow_mut();
            if st.lost || st.closing {
                return Err(io::Error::new(io::ErrorKind::NotConnected, "transport is closed"));
            }
            st.read_timeout = timeout;
        }
        self.conn.restart_read_timeout();
        // Replacing the watchdog needs the loop: next iteration (the
        // deadline is already fixed by the mark taken now).
        self.conn.queue(|conn, lp| conn.arm_read_timer(lp));
        Ok(())
    }

    /// The read timeout in effect (see
    /// [`set_read_timeout`](Transport::set_read_timeout)).
    ///
    /// # Examples
    ///
    /// See [`set_read_timeout`](Transport::set_read_timeout).
    pub fn read_timeout(&self) -> Option<Duration> {
        self.conn.state.borrow().read_timeout
    }
}
