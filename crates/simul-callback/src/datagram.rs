//! UDP, callback style: [`DatagramProtocol`], [`DatagramTransport`] and
//! [`EventLoop::create_datagram_endpoint`].

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::rc::Rc;

use simul_reactor::net::UdpSocket;

use crate::event_loop::{IoSource, LocalQueue, Readiness};
use crate::runnable::{Call, Tag};
use crate::{CallbackKind, EventLoop, ExceptionContext};

/// Datagrams received per readiness event before others get a turn.
const RECV_BUDGET: usize = 64;
/// Largest UDP payload.
const MAX_DATAGRAM: usize = 65_536;

/// The callbacks of a UDP endpoint (asyncio's `DatagramProtocol`).
///
/// ```text
///   connection_made ──> (datagram_received | error_received)* ──> connection_lost
/// ```
///
/// # Examples
///
/// See [`EventLoop::create_datagram_endpoint`].
pub trait DatagramProtocol {
    /// The endpoint is ready; `transport` sends (clone it to keep it).
    fn connection_made(&mut self, lp: &mut EventLoop, transport: &DatagramTransport) {
        let _ = (lp, transport);
    }

    /// A datagram arrived from `addr` (possibly empty: zero-length
    /// datagrams are datagrams too).
    fn datagram_received(
        &mut self,
        lp: &mut EventLoop,
        transport: &DatagramTransport,
        data: &[u8],
        addr: SocketAddr,
    );

    /// A send or receive failed, for example `ConnectionRefused` after
    /// sending to a closed port. The endpoint stays open.
    fn error_received(&mut self, lp: &mut EventLoop, error: io::Error) {
        let _ = (lp, error);
    }

    /// The endpoint is closed.
    fn connection_lost(&mut self, lp: &mut EventLoop, error: Option<io::Error>) {
        let _ = (lp, error);
    }
}

/// One UDP endpoint, shared by its transports and the loop.
struct Endpoint {
    /// Socket and queue.
    state: RefCell<EndpointState>,
    /// The protocol; `None` after `connection_lost`.
    protocol: RefCell<Option<Box<dyn DatagramProtocol>>>,
    /// Where follow-ups go when no `&mut EventLoop` is at hand.
    local: Rc<LocalQueue>,
    /// Where the endpoint was created.
    location: &'static Location<'static>,
    /// Its trace unit, once registered (stamped on its follow-ups).
    unit: Cell<u64>,
}

/// The mutable part of an [`Endpoint`].
struct EndpointState {
    /// The socket; `None` once closed.
    socket: Option<UdpSocket>,
    /// Its descriptor.
    fd: RawFd,
    /// Its slot in the loop.
    slot: Option<u32>,
    /// The peer, for a connected endpoint.
    remote: Option<SocketAddr>,
    /// Datagrams the socket did not take yet, in order.
    queue: VecDeque<(Vec<u8>, Option<SocketAddr>)>,
    /// `close` called: teardown once the queue is sent.
    closing: bool,
    /// Teardown queued or done.
    lost: bool,
}

/// Sends datagrams from an endpoint (asyncio's `DatagramTransport`).
///
/// # Examples
///
/// See [`EventLoop::create_datagram_endpoint`].
#[derive(Clone)]
pub struct DatagramTransport {
    /// The endpoint.
    endpoint: Rc<Endpoint>,
}

impl Endpoint {
    fn call_protocol(
        self: &Rc<Endpoint>,
        lp: &mut EventLoop,
        f: impl FnOnce(&mut dyn DatagramProtocol, &mut EventLoop, &DatagramTransport),
    ) {
        let transport = DatagramTransport { endpoint: self.clone() };
        let result = {
            let Ok(mut guard) = self.protocol.try_borrow_mut() else { return };
            let Some(p) = guard.as_mut() else { return };
            catch_unwind(AssertUnwindSafe(|| f(&mut **p, lp, &transport)))
        };
        if let Err(payload) = result {
            let mut ctx = ExceptionContext::new("a datagram protocol callback panicked");
            ctx.location = Some(self.location);
            ctx.kind = Some(CallbackKind::Transport);
            ctx.payload = Some(payload);
            lp.call_exception_handler(ctx);
        }
    }

    fn receive(self: &Rc<Endpoint>, lp: &mut EventLoop) {
        let mut buf = lp.take_read_buf(MAX_DATAGRAM);
        let mut again = true;
        for _ in 0..RECV_BUDGET {
            let result = {
                let st = self.state.borrow();
                if st.lost || st.closing {
                    again = false;
                    break;
                }
                let Some(socket) = &st.socket else {
                    again = false;
                    break;
                };
                socket.recv_from(&mut buf)
            };
            match result {
                Ok((n, addr)) => {
                    self.call_protocol(lp, |p, lp, t| p.datagram_received(lp, t, &buf[..n], addr));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    again = false;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // The error (an ICMP "port unreachable", ...) was consumed
                // by this call: report it and go on receiving.
                Err(e) => self.call_protocol(lp, |p, lp, _| p.error_received(lp, e)),
            }
        }
        lp.give_read_buf(buf);
        if again {
            let me = self.clone();
            lp.push_soon(Box::new(Call {
                f: move |lp: &mut EventLoop| me.receive(lp),
                location: self.location,
                tag: Tag::new(CallbackKind::Transport, self.unit.get()),
            }));
        }
    }

    /// Sends queued datagrams until the queue is empty or `WouldBlock`.
    /// Errors are collected for `error_received`.
    fn flush(self: &Rc<Endpoint>, errors: &mut Vec<io::Error>) {
        let mut st = self.state.borrow_mut();
        let EndpointState { socket: Some(socket), queue, remote, .. } = &mut *st else { return };
        while let Some((data, addr)) = queue.front() {
            let sent = match addr.or(*remote) {
                Some(target) if remote.is_none() => socket.send_to(data, target),
                _ => socket.send(data),
            };
            match sent {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => errors.push(e),
            }
            queue.pop_front();
        }
        if st.queue.is_empty() && st.closing && !st.lost {
            st.lost = true;
            drop(st);
            self.queue_teardown();
        }
    }

    fn queue_teardown(self: &Rc<Endpoint>) {
        let me = self.clone();
        self.local.push(Box::new(Call {
            f: move |lp: &mut EventLoop| me.teardown(lp),
            location: self.location,
            tag: Tag::new(CallbackKind::Transport, self.unit.get()),
        }));
    }

    fn report(self: &Rc<Endpoint>, lp: &mut EventLoop, errors: Vec<io::Error>) {
        for e in errors {
            self.call_protocol(lp, |p, lp, _| p.error_received(lp, e));
        }
    }

    fn teardown(self: &Rc<Endpoint>, lp: &mut EventLoop) {
        let (slot, fd, socket) = {
            let mut st = self.state.borrow_mut();
            (st.slot.take(), st.fd, st.socket.take())
        };
        if let Some(slot) = slot {
            lp.deregister_stream(slot, fd);
        }
        drop(socket);
        let Ok(mut guard) = self.protocol.try_borrow_mut() else { return };
        let Some(mut protocol) = guard.take() else { return };
        drop(guard);
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| protocol.connection_lost(lp, None)))
        {
            let mut ctx = ExceptionContext::new("connection_lost panicked");
            ctx.location = Some(self.location);
            ctx.payload = Some(payload);
            lp.call_exception_handler(ctx);
        }
        let message = "a protocol's destructor panicked";
        lp.drop_reporting(protocol, message, self.location, CallbackKind::Transport);
    }
}

impl IoSource for Endpoint {
    fn ready(self: Rc<Self>, lp: &mut EventLoop, readiness: Readiness) {
        if readiness.readable || readiness.broken {
            self.receive(lp);
        }
        if readiness.writable {
            let mut errors = Vec::new();
            self.flush(&mut errors);
            self.report(lp, errors);
        }
    }

    fn location(&self) -> &'static Location<'static> {
        self.location
    }

    fn shutdown(&self) {
        {
            // Lost, as for a transport: a `DatagramTransport` kept past
            // the loop refuses `sendto` instead of queueing for ever.
            let mut st = self.state.borrow_mut();
            st.lost = true;
            st.socket = None;
            st.queue.clear();
        }
        drop(self.protocol.borrow_mut().take());
    }
}

impl DatagramTransport {
    /// Sends `data` to `addr`, or to the connected peer when `addr` is
    /// `None` (asyncio's `sendto`). Never blocks: a datagram the socket
    /// cannot take now is queued and sent when it is writable.
    ///
    /// A send error (for example `EMSGSIZE` for an oversize datagram)
    /// goes to the protocol's `error_received` in the next iteration.
    ///
    /// # Errors
    ///
    /// `NotConnected` when the endpoint is closing or closed (also by
    /// dropping its loop);
    /// `InvalidInput` when `addr` is `None` on an unconnected endpoint, or
    /// `Some` on a connected one (asyncio refuses both too).
    ///
    /// # Examples
    ///
    /// See [`EventLoop::create_datagram_endpoint`].
    pub fn sendto(&self, data: &[u8], addr: Option<SocketAddr>) -> io::Result<()> {
        let mut st = self.endpoint.state.borrow_mut();
        if st.lost || st.closing {
            return Err(io::Error::new(io::ErrorKind::NotConnected, "the endpoint is closed"));
        }
        match (addr, st.remote) {
            (None, None) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "sendto without an address on an unconnected endpoint",
                ));
            }
            (Some(a), Some(r)) if a != r => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "sendto with an address other than the connected peer's",
                ));
            }
            _ => {}
        }
        st.queue.push_back((data.to_vec(), addr));
        let was_empty = st.queue.len() == 1;
        drop(st);
        if was_empty {
            let mut errors = Vec::new();
            self.endpoint.flush(&mut errors);
            if !errors.is_empty() {
                let me = self.endpoint.clone();
                self.endpoint.local.push(Box::new(Call {
                    f: move |lp: &mut EventLoop| me.report(lp, errors),
                    location: self.endpoint.location,
                    tag: Tag::new(CallbackKind::Transport, self.endpoint.unit.get()),
                }));
            }
        }
        Ok(())
    }

    /// Closes once the queued datagrams are sent; `connection_lost(None)`
    /// follows.
    ///
    /// # Examples
    ///
    /// See [`EventLoop::create_datagram_endpoint`].
    pub fn close(&self) {
        {
            let mut st = self.endpoint.state.borrow_mut();
            if st.closing || st.lost {
                return;
            }
            st.closing = true;
        }
        let mut errors = Vec::new();
        self.endpoint.flush(&mut errors);
    }

    /// Closes at once, dropping queued datagrams.
    ///
    /// # Examples
    ///
    /// See [`EventLoop::create_datagram_endpoint`].
    pub fn abort(&self) {
        let mut st = self.endpoint.state.borrow_mut();
        if st.lost {
            return;
        }
        st.lost = true;
        st.queue.clear();
        drop(st);
        self.endpoint.queue_teardown();
    }

    /// The endpoint's local address.
    ///
    /// # Errors
    ///
    /// `NotConnected` once closed; otherwise the OS error.
    ///
    /// # Examples
    ///
    /// See [`EventLoop::create_datagram_endpoint`].
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        match &self.endpoint.state.borrow().socket {
            Some(s) => s.local_addr(),
            None => Err(io::Error::new(io::ErrorKind::NotConnected, "the endpoint is closed")),
        }
    }
}

impl fmt::Debug for DatagramTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.endpoint.state.borrow();
        f.debug_struct("DatagramTransport")
            .field("fd", &st.fd)
            .field("remote", &st.remote)
            .field("queued", &st.queue.len())
            .finish()
    }
}

impl EventLoop {
    /// Opens a UDP endpoint bound to `local`, connected to `remote` if
    /// given, driving `protocol` (asyncio's
    /// `loop.create_datagram_endpoint`).
    ///
    /// `connection_made` follows in the next iteration; received
    /// datagrams go to `datagram_received`, failures (such as
    /// `ConnectionRefused` after sending to a closed port) to
    /// `error_received`, and the endpoint keeps working.
    ///
    /// # Errors
    ///
    /// When binding (`AddrInUse`, ...), connecting or registering fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::{DatagramProtocol, DatagramTransport, Deferred, EventLoop};
    /// use std::net::SocketAddr;
    ///
    /// struct Echo;
    /// impl DatagramProtocol for Echo {
    ///     fn datagram_received(&mut self, _: &mut EventLoop, t: &DatagramTransport, data: &[u8], from: SocketAddr) {
    ///         t.sendto(data, Some(from)).unwrap();
    ///     }
    /// }
    ///
    /// struct Ask(Deferred<Vec<u8>>);
    /// impl DatagramProtocol for Ask {
    ///     fn connection_made(&mut self, _: &mut EventLoop, t: &DatagramTransport) {
    ///         t.sendto(b"ping", None).unwrap(); // connected: no address needed
    ///     }
    ///     fn datagram_received(&mut self, _: &mut EventLoop, t: &DatagramTransport, data: &[u8], _: SocketAddr) {
    ///         let _ = self.0.set_result(data.to_vec());
    ///         t.close();
    ///     }
    /// }
    ///
    /// let mut lp = EventLoop::new()?;
    /// let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    /// let server = lp.create_datagram_endpoint(any, None, Echo)?;
    /// let reply = Deferred::new();
    /// lp.create_datagram_endpoint(any, Some(server.local_addr()?), Ask(reply.clone()))?;
    /// assert_eq!(lp.run_until_complete(&reply)?, b"ping");
    /// server.close();
    /// # Ok::<(), simul_callback::Error>(())
    /// ```
    #[track_caller]
    pub fn create_datagram_endpoint(
        &mut self,
        local: SocketAddr,
        remote: Option<SocketAddr>,
        protocol: impl DatagramProtocol + 'static,
    ) -> io::Result<DatagramTransport> {
        let location = Location::caller();
        let socket = UdpSocket::bind(local)?;
        if let Some(r) = remote {
            socket.connect(r)?;
        }
        let fd = socket.as_raw_fd();
        let endpoint = Rc::new(Endpoint {
            state: RefCell::new(EndpointState {
                socket: Some(socket),
                fd,
                slot: None,
                remote,
                queue: VecDeque::new(),
                closing: false,
                lost: false,
            }),
            protocol: RefCell::new(Some(Box::new(protocol))),
            local: self.local(),
            location,
            unit: Cell::new(0),
        });
        let (slot, unit) = self.register_stream(fd, endpoint.clone(), false)?;
        endpoint.state.borrow_mut().slot = Some(slot);
        endpoint.unit.set(unit);
        let ep = endpoint.clone();
        self.push_soon(Box::new(Call {
            f: move |lp: &mut EventLoop| ep.call_protocol(lp, |p, lp, t| p.connection_made(lp, t)),
            location,
            tag: Tag::new(CallbackKind::Transport, unit),
        }));
        Ok(DatagramTransport { endpoint })
    }
}
