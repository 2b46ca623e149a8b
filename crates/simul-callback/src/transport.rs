//! [`Transport`]: a TCP connection as a protocol sees it.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::rc::Rc;
use std::time::Duration;

use simul_reactor::net::TcpStream;
use simul_reactor::{Clock, Instant};

use crate::event_loop::{IoSource, LocalQueue, Readiness};
use crate::runnable::{Call, Tag};
use crate::{CallbackKind, EventLoop, ExceptionContext, Protocol, TimerHandle};

#[path = "read_timeout.rs"]
mod read_timeout;
pub(crate) use read_timeout::check_timeout;

/// Default high-water mark of the write buffer (asyncio's 64 KiB).
const DEFAULT_HIGH_WATER: usize = 64 * 1024;
/// Reads per readiness event before the connection lets others run.
const READ_BUDGET: usize = 16;
/// Bytes per read.
const READ_CHUNK: usize = 64 * 1024;

/// One TCP connection, shared by its [`Transport`] handles and the loop.
pub(crate) struct Conn {
    /// Socket and buffers.
    state: RefCell<ConnState>,
    /// The protocol; `None` after `connection_lost` (which breaks the
    /// cycle protocol -> transport -> connection).
    protocol: RefCell<Option<Box<dyn Protocol>>>,
    /// Where follow-ups go when no `&mut EventLoop` is at hand.
    local: Rc<LocalQueue>,
    /// Where the server or connection was created.
    location: &'static Location<'static>,
    /// Its trace unit, once registered (stamped on its follow-ups).
    unit: Cell<u64>,
    /// The loop's clock: the read timeout restarts from methods that have
    /// no `&mut EventLoop` (`set_read_timeout`, `resume_reading`).
    clock: Clock,
}

/// The mutable part of a [`Conn`].
///
/// ```text
///   Open --close()--> Closing (flushing) --buffer empty--> Lost
///     |                                                     ^
///     +--abort() / socket error / peer reset ---------------+
/// ```
struct ConnState {
    /// The socket; `None` once torn down.
    stream: Option<TcpStream>,
    /// Its descriptor (for deregistering).
    fd: RawFd,
    /// Its slot in the loop, once registered.
    slot: Option<u32>,
    /// Bytes accepted by `write` and not yet taken by the socket.
    wbuf: VecDeque<u8>,
    /// Above this many buffered bytes the protocol is paused.
    high: usize,
    /// At or below this many it is resumed.
    low: usize,
    /// Whether the protocol should be paused now.
    writing_paused: bool,
    /// What the protocol was last told (pause or resume).
    told_paused: bool,
    /// `pause_reading` in effect.
    reading_paused: bool,
    /// `close` called: no more reading, teardown once flushed.
    closing: bool,
    /// `write_eof` called: shut down writing once flushed.
    eof_wanted: bool,
    /// Writing has been shut down.
    eof_sent: bool,
    /// The peer sent end-of-file.
    peer_eof: bool,
    /// A non-blocking connect is in progress; the first writable event
    /// says how it ended.
    connecting: bool,
    /// Teardown queued or done: nothing more happens.
    lost: bool,
    /// How long reading may wait for data before the connection is closed
    /// (`set_read_timeout`); `None`: forever.
    read_timeout: Option<Duration>,
    /// When the current read-timeout period began: the last read that
    /// delivered data, or the moment the timeout was set or reading
    /// resumed.
    read_mark: Instant,
    /// The watchdog timer, while one is scheduled.
    read_timer: Option<TimerHandle>,
}

/// The writing end of a connection, and its controls (asyncio's
/// `asyncio.Transport`). Cheap to clone; all clones are the same
/// connection.
///
/// * [`write`](Transport::write) never blocks and never drops bytes: what
///   the socket does not take now is buffered and written when it is
///   writable. Above the high-water mark the protocol gets
///   `pause_writing`, and at the low-water mark `resume_writing`.
/// * [`close`](Transport::close) stops reading, flushes the buffer, then
///   closes; [`abort`](Transport::abort) closes at once and drops the
///   buffer. Either way the protocol's `connection_lost` follows, in a
///   later iteration.
///
/// # Examples
///
/// See [`EventLoop::create_server`].
#[derive(Clone)]
pub struct Transport {
    /// The connection.
    pub(crate) conn: Rc<Conn>,
}

impl Conn {
    /// A connection over an accepted or connected socket, not yet
    /// registered.
    pub(crate) fn new(
        stream: TcpStream,
        protocol: Box<dyn Protocol>,
        lp: &EventLoop,
        location: &'static Location<'static>,
    ) -> Rc<Conn> {
        let fd = stream.as_raw_fd();
        Rc::new(Conn {
            state: RefCell::new(ConnState {
                stream: Some(stream),
                fd,
                slot: None,
                wbuf: VecDeque::new(),
                high: DEFAULT_HIGH_WATER,
                low: DEFAULT_HIGH_WATER / 4,
                writing_paused: false,
                told_paused: false,
                reading_paused: false,
                closing: false,
                eof_wanted: false,
                eof_sent: false,
                peer_eof: false,
                connecting: false,
                lost: false,
                read_timeout: None,
                read_mark: Instant::ZERO,
                read_timer: None,
            }),
            protocol: RefCell::new(Some(protocol)),
            local: lp.local(),
            location,
            unit: Cell::new(0),
            clock: lp.clock().clone(),
        })
    }

    /// Registers a socket whose connect is in progress; `connection_made`
    /// (or `connection_lost(Some(error))`) follows when it completes.
    pub(crate) fn start_connecting(self: &Rc<Conn>, lp: &mut EventLoop) -> io::Result<()> {
        self.state.borrow_mut().connecting = true;
        let fd = self.state.borrow().fd;
        let (slot, unit) = lp.register_stream(fd, self.clone(), false)?;
        self.state.borrow_mut().slot = Some(slot);
        self.unit.set(unit);
        Ok(())
    }

    /// The first event of a connecting socket: connected, or failed?
    fn finish_connect(self: &Rc<Conn>, lp: &mut EventLoop) {
        let outcome = {
            let st = self.state.borrow();
            let Some(stream) = &st.stream else { return };
            match stream.take_error() {
                Ok(Some(e)) | Err(e) => Err(e),
                Ok(None) => stream.peer_addr().map(drop),
            }
        };
        match outcome {
            Ok(()) => {
                self.state.borrow_mut().connecting = false;
                self.call_protocol(lp, |p, lp, t| p.connection_made(lp, t));
            }
            // Not connected yet and no error: a spurious wake-up; the
            // next writable edge will tell.
            Err(e) if e.kind() == io::ErrorKind::NotConnected => {}
            Err(e) => self.fail_now(lp, e),
        }
    }

    /// Registers the socket in `lp` and queues `connection_made`.
    pub(crate) fn start(self: &Rc<Conn>, lp: &mut EventLoop) -> io::Result<()> {
        let fd = self.state.borrow().fd;
        // An accepted connection: its own unit, as asyncio's start_server
        // runs each client in a task of its own.
        let (slot, unit) = lp.register_stream(fd, self.clone(), true)?;
        self.state.borrow_mut().slot = Some(slot);
        self.unit.set(unit);
        let conn = self.clone();
        lp.push_soon(Box::new(Call {
            f: move |lp: &mut EventLoop| {
                conn.call_protocol(lp, |p, lp, t| p.connection_made(lp, t));
            },
            location: self.location,
            tag: Tag::new(CallbackKind::Transport, self.unit.get()),
        }));
        Ok(())
    }

    /// Calls the protocol, if it is there and not already being called.
    /// A panic in it is reported and aborts the connection (asyncio's
    /// "fatal error" in a protocol callback).
    fn call_protocol<R>(
        self: &Rc<Conn>,
        lp: &mut EventLoop,
        f: impl FnOnce(&mut dyn Protocol, &mut EventLoop, &Transport) -> R,
    ) -> Option<R> {
        let transport = Transport { conn: self.clone() };
        let result = {
            let Ok(mut guard) = self.protocol.try_borrow_mut() else { return None };
            let p = guard.as_mut()?;
            catch_unwind(AssertUnwindSafe(|| f(&mut **p, lp, &transport)))
        };
        match result {
            Ok(r) => {
                self.deliver_flow_control();
                Some(r)
            }
            Err(payload) => {
                let mut ctx = ExceptionContext::new(
                    "a protocol callback panicked; the connection is aborted",
                );
                ctx.location = Some(self.location);
                ctx.kind = Some(CallbackKind::Transport);
                ctx.payload = Some(payload);
                lp.call_exception_handler(ctx);
                self.fail(None);
                None
            }
        }
    }

    /// Tells the protocol to pause or resume writing when that changed and
    /// the protocol is not busy (if it is, this runs again after it).
    fn deliver_flow_control(&self) {
        loop {
            let want = {
                let st = self.state.borrow();
                if st.writing_paused == st.told_paused || st.lost {
                    return;
                }
                st.writing_paused
            };
            let Ok(mut guard) = self.protocol.try_borrow_mut() else { return };
            let Some(p) = guard.as_mut() else { return };
            self.state.borrow_mut().told_paused = want;
            if want { p.pause_writing() } else { p.resume_writing() }
        }
    }

    /// Reads until `WouldBlock`, end-of-file, an error or the budget.
    ///
    /// `short_read_drains` (from the event, see
    /// [`Event::short_read_drains`](simul_reactor::Event::short_read_drains)
    /// and the reactor's [Triggering](simul_reactor#triggering) docs): a
    /// read that returns less than the buffer means the socket was empty,
    /// so the burst may stop without the extra read that would say
    /// `WouldBlock`; anything arriving later raises a new edge. It is false
    /// when the event announced end-of-file, an error or urgent data (no
    /// later edge would come for what is already queued), and for bursts
    /// not started by an event (budget spent, reading resumed).
    fn do_read(self: &Rc<Conn>, lp: &mut EventLoop, short_read_drains: bool) {
        let mut buf = lp.take_read_buf(READ_CHUNK);
        let again = self.read_burst(lp, &mut buf, short_read_drains);
        lp.give_read_buf(buf);
        if again {
            // Budget spent: more may be waiting, and no new edge will say so.
            self.queue(|conn, lp| conn.do_read(lp, false));
        }
    }

    /// One burst of reads into `buf`; returns whether the budget ran out
    /// with the socket possibly still readable.
    fn read_burst(
        self: &Rc<Conn>,
        lp: &mut EventLoop,
        buf: &mut [u8],
        short_read_drains: bool,
    ) -> bool {
        for _ in 0..READ_BUDGET {
            let result = {
                let st = self.state.borrow();
                if st.reading_paused || st.closing || st.peer_eof || st.lost {
                    return false;
                }
                let Some(mut stream) = st.stream.as_ref() else { return false };
                stream.read(buf)
            };
            match result {
                Ok(0) => {
                    self.state.borrow_mut().peer_eof = true;
                    let keep = self.call_protocol(lp, |p, lp, t| p.eof_received(lp, t));
                    if keep != Some(true) {
                        Transport { conn: self.clone() }.close();
                    }
                    return false;
                }
                Ok(n) => {
                    self.note_data(lp);
                    self.call_protocol(lp, |p, lp, t| p.data_received(lp, t, &buf[..n]));
                    if short_read_drains && n < buf.len() {
                        return false;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.fail(Some(e));
                    return false;
                }
            }
        }
        true
    }

    /// Writes buffered bytes until the buffer is empty or `WouldBlock`.
    fn flush(self: &Rc<Conn>) {
        let mut st = self.state.borrow_mut();
        if st.lost {
            return;
        }
        let mut failed = None;
        {
            let ConnState { stream: Some(stream), wbuf, .. } = &mut *st else { return };
            let mut stream: &TcpStream = stream;
            while !wbuf.is_empty() {
                let (front, _) = wbuf.as_slices();
                match stream.write(front) {
                    Ok(n) => {
                        wbuf.drain(..n);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
        }
        if let Some(e) = failed {
            drop(st);
            return self.fail(Some(e));
        }
        if st.writing_paused && st.wbuf.len() <= st.low {
            st.writing_paused = false;
        }
        if st.wbuf.is_empty() {
            if st.eof_wanted && !st.eof_sent {
                st.eof_sent = true;
                if let Some(s) = &st.stream {
                    // Fails only when the peer is gone, which reading reports.
                    let _ = s.shutdown(Shutdown::Write);
                }
            }
            if st.closing {
                st.lost = true;
                drop(st);
                self.queue(|conn, lp| conn.teardown(lp, None));
                return;
            }
        }
        drop(st);
        self.deliver_flow_control();
    }

    /// Stops everything and queues the teardown with `error`.
    fn fail(self: &Rc<Conn>, error: Option<io::Error>) {
        let mut st = self.state.borrow_mut();
        if st.lost {
            return;
        }
        st.lost = true;
        st.wbuf = VecDeque::new();
        drop(st);
        self.queue(move |conn, lp| conn.teardown(lp, error));
    }

    /// A connection that could not even be registered: tear down at once.
    pub(crate) fn fail_now(self: &Rc<Conn>, lp: &mut EventLoop, error: io::Error) {
        self.state.borrow_mut().lost = true;
        self.teardown(lp, Some(error));
    }

    /// Deregisters and closes the socket, then tells the protocol.
    fn teardown(self: &Rc<Conn>, lp: &mut EventLoop, error: Option<io::Error>) {
        let (slot, fd, stream, timer) = {
            let mut st = self.state.borrow_mut();
            (st.slot.take(), st.fd, st.stream.take(), st.read_timer.take())
        };
        if let Some(timer) = timer {
            timer.cancel(lp);
        }
        if let Some(slot) = slot {
            lp.deregister_stream(slot, fd);
        }
        drop(stream);
        let Ok(mut guard) = self.protocol.try_borrow_mut() else { return };
        let Some(mut protocol) = guard.take() else { return };
        drop(guard);
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| protocol.connection_lost(lp, error)))
        {
            let mut ctx = ExceptionContext::new("connection_lost panicked");
            ctx.location = Some(self.location);
            ctx.kind = Some(CallbackKind::Transport);
            ctx.payload = Some(payload);
            lp.call_exception_handler(ctx);
        }
        let message = "a protocol's destructor panicked";
        lp.drop_reporting(protocol, message, self.location, CallbackKind::Transport);
    }

    /// Queues `f` to run on the loop next iteration.
    fn queue(self: &Rc<Conn>, f: impl FnOnce(&Rc<Conn>, &mut EventLoop) + 'static) {
        let conn = self.clone();
        self.local.push(Box::new(Call {
            f: move |lp: &mut EventLoop| f(&conn, lp),
            location: self.location,
            tag: Tag::new(CallbackKind::Transport, self.unit.get()),
        }));
    }
}

impl IoSource for Conn {
    fn ready(self: Rc<Self>, lp: &mut EventLoop, readiness: Readiness) {
        if self.state.borrow().connecting {
            if readiness.writable || readiness.broken {
                self.finish_connect(lp);
            }
            if self.state.borrow().connecting {
                return;
            }
        }
        if readiness.readable || readiness.broken {
            self.do_read(lp, readiness.short_read_drains);
        }
        if readiness.writable || readiness.broken {
            self.flush();
        }
        if readiness.broken && !self.state.borrow().lost {
            let error =
                self.state.borrow().stream.as_ref().and_then(|s| s.take_error().ok().flatten());
            if let Some(e) = error {
                self.fail(Some(e));
            }
        }
    }

    fn location(&self) -> &'static Location<'static> {
        self.location
    }

    fn shutdown(&self) {
        {
            // Lost, not just without a socket: a `Transport` kept past the
            // loop must refuse `write` (which would otherwise buffer the
            // bytes for ever and say `Ok`), and `close` and `abort` must
            // not queue a teardown no loop will run.
            let mut st = self.state.borrow_mut();
            st.lost = true;
            st.stream = None;
            st.wbuf = VecDeque::new();
            st.read_timer = None;
        }
        drop(self.protocol.borrow_mut().take());
    }
}

impl Transport {
    /// Writes `data`: at once as far as the socket takes it, the rest when
    /// it becomes writable. Never blocks, never drops bytes.
    ///
    /// A socket error here is not returned: the connection is torn down
    /// and the protocol's `connection_lost` receives it.
    ///
    /// # Errors
    ///
    /// `NotConnected` after `close`, `abort`, `write_eof` or the end of the
    /// connection, including the loop being dropped (the bytes are not
    /// written). (A protocol only receives its transport in
    /// `connection_made`, when the connection is up.)
    ///
    /// # Examples
    ///
    /// See [`EventLoop::create_server`].
    pub fn write(&self, data: &[u8]) -> io::Result<()> {
        let mut st = self.conn.state.borrow_mut();
        if st.lost || st.closing || st.eof_wanted || st.connecting {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "write on a transport that is not connected yet, closing, closed or shut down for writing",
            ));
        }
        let mut data = data;
        if st.wbuf.is_empty()
            && let Some(mut stream) = st.stream.as_ref()
        {
            while !data.is_empty() {
                match stream.write(data) {
                    Ok(n) => data = &data[n..],
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        drop(st);
                        self.conn.fail(Some(e));
                        return Ok(());
                    }
                }
            }
        }
        st.wbuf.extend(data);
        if st.wbuf.len() > st.high {
            st.writing_paused = true;
        }
        drop(st);
        self.conn.deliver_flow_control();
        Ok(())
    }

    /// Shuts down the writing side once the buffer is flushed (the peer
    /// reads end-of-file); reading goes on (a half-close).
    ///
    /// # Errors
    ///
    /// `NotConnected` when the transport is closing or closed.
    ///
    /// # Examples
    ///
    /// See [`EventLoop::create_server`].
    pub fn write_eof(&self) -> io::Result<()> {
        {
            let mut st = self.conn.state.borrow_mut();
            if st.lost || st.closing {
                return Err(io::Error::new(io::ErrorKind::NotConnected, "transport is closed"));
            }
            st.eof_wanted = true;
        }
        self.conn.flush();
        Ok(())
    }

    /// Stops reading, flushes what is buffered, then closes; the
    /// protocol's `connection_lost(None)` follows. A second call does
    /// nothing.
    ///
    /// # Examples
    ///
    /// See [`EventLoop::create_server`].
    pub fn close(&self) {
        {
            let mut st = self.conn.state.borrow_mut();
            if st.lost || st.closing {
                return;
            }
            st.closing = true;
        }
        self.conn.flush();
    }

    /// Closes at once, dropping anything buffered; the protocol's
    /// `connection_lost(None)` follows.
    ///
    /// # Examples
    ///
    /// See [`EventLoop::create_server`].
    pub fn abort(&self) {
        self.conn.fail(None);
    }

    /// Whether `close` or `abort` was called or the connection ended.
    ///
    /// # Examples
    ///
    /// See [`EventLoop::create_server`].
    pub fn is_closing(&self) -> bool {
        let st = self.conn.state.borrow();
        st.closing || st.lost
    }

    /// Stops calling `data_received` until
    /// [`resume_reading`](Transport::resume_reading); the kernel buffers
    /// meanwhile, and then the peer's writes block (TCP flow control).
    /// A [read timeout](Transport::set_read_timeout) does not run while
    /// reading is paused; resuming starts a full period.
    ///
    /// # Examples
    ///
    /// See [`EventLoop::create_server`].
    pub fn pause_reading(&self) {
        self.conn.state.borrow_mut().reading_paused = true;
    }

    /// Calls `data_received` again, starting with what arrived meanwhile.
    ///
    /// # Examples
    ///
    /// See [`EventLoop::create_server`].
    pub fn resume_reading(&self) {
        let was = std::mem::replace(&mut self.conn.state.borrow_mut().reading_paused, false);
        if was {
            // The read timeout was suspended while paused: a full period
            // from now.
            let timed = self.conn.restart_read_timeout();
            // Data may be waiting with no new edge to announce it.
            self.conn.queue(move |conn, lp| {
                if timed {
                    conn.arm_read_timer(lp);
                }
                conn.do_read(lp, false);
            });
        }
    }

    /// Whether reading is on (not paused, not closed).
    ///
    /// # Examples
    ///
    /// See [`EventLoop::create_server`].
    pub fn is_reading(&self) -> bool {
        let st = self.conn.state.borrow();
        !(st.reading_paused || st.closing || st.lost || st.peer_eof)
    }

    /// Sets the write buffer's high- and low-water marks (asyncio's
    /// `set_write_buffer_limits`; defaults 64 KiB and a quarter of it).
    /// `low` defaults to `high / 4` and is capped at `high`.
    ///
    /// # Examples
    ///
    /// See [`EventLoop::create_server`].
    pub fn set_write_buffer_limits(&self, high: usize, low: Option<usize>) {
        let mut st = self.conn.state.borrow_mut();
        st.high = high;
        st.low = low.unwrap_or(high / 4).min(high);
        if st.wbuf.len() > st.high {
            st.writing_paused = true;
        } else if st.wbuf.len() <= st.low {
            st.writing_paused = false;
        }
        drop(st);
        self.conn.deliver_flow_control();
    }

    /// Bytes buffered, not yet taken by the socket.
    ///
    /// # Examples
    ///
    /// See [`EventLoop::create_server`].
    pub fn write_buffer_size(&self) -> usize {
        self.conn.state.borrow().wbuf.len()
    }

    /// The peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` once closed; otherwise the OS error.
    ///
    /// # Examples
    ///
    /// See [`EventLoop::create_server`].
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        match &self.conn.state.borrow().stream {
            Some(s) => s.peer_addr(),
            None => Err(io::Error::new(io::ErrorKind::NotConnected, "transport is closed")),
        }
    }

    /// This end's address.
    ///
    /// # Errors
    ///
    /// As [`peer_addr`](Transport::peer_addr).
    ///
    /// # Examples
    ///
    /// See [`EventLoop::create_server`].
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        match &self.conn.state.borrow().stream {
            Some(s) => s.local_addr(),
            None => Err(io::Error::new(io::ErrorKind::NotConnected, "transport is closed")),
        }
    }
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.conn.state.borrow();
        f.debug_struct("Transport")
            .field("fd", &st.fd)
            .field("buffered", &st.wbuf.len())
            .field("closing", &st.closing)
            .field("lost", &st.lost)
            .finish()
    }
}
