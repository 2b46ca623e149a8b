//! [`Server`], [`EventLoop::create_server`],
//! [`EventLoop::create_connection`] and [`EventLoop::getaddrinfo`]: TCP,
//! callback style.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};
use std::panic::Location;
use std::rc::Rc;
use std::time::Duration;

use simul_reactor::net::{TcpListener, TcpStream};

use crate::event_loop::{IoSource, LocalQueue, Readiness};
use crate::runnable::{Call, Tag};
use crate::transport::Conn;
use crate::{CallbackKind, EventLoop, ExceptionContext, Protocol};

/// Connections accepted per readiness event before others get a turn.
const ACCEPT_BUDGET: usize = 128;
/// How long accepting pauses after a failure such as `EMFILE` (asyncio's
/// `ACCEPT_RETRY_DELAY` is 1 s).
const ACCEPT_RETRY_DELAY: Duration = Duration::from_secs(1);

/// Makes a protocol for each accepted connection.
type ProtocolFactory = Box<dyn FnMut() -> Box<dyn Protocol>>;

/// A listening socket that accepts connections and gives each a protocol.
struct Listener {
    /// The socket and its state.
    state: RefCell<ListenerState>,
    /// Makes the protocols.
    factory: RefCell<ProtocolFactory>,
    /// Where follow-ups go when no `&mut EventLoop` is at hand.
    local: Rc<LocalQueue>,
    /// Where the server was created.
    location: &'static Location<'static>,
    /// Its trace unit, once registered (stamped on its follow-ups).
    unit: Cell<u64>,
    /// The read timeout each accepted connection starts with.
    read_timeout: Cell<Option<Duration>>,
}

/// The mutable part of a [`Listener`].
struct ListenerState {
    /// The socket; `None` once closed.
    listener: Option<TcpListener>,
    /// Its descriptor.
    fd: RawFd,
    /// Its slot in the loop.
    slot: Option<u32>,
    /// Accepting is paused after a failure until the retry timer.
    backing_off: bool,
}

impl Listener {
    fn accept_some(self: &Rc<Listener>, lp: &mut EventLoop) {
        for _ in 0..ACCEPT_BUDGET {
            let accepted = {
                let st = self.state.borrow();
                if st.backing_off {
                    return;
                }
                let Some(listener) = &st.listener else { return };
                listener.accept()
            };
            match accepted {
                Ok((stream, _peer)) => self.serve(lp, stream),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
                    ) => {}
                Err(e) => {
                    // EMFILE, ENFILE, ENOBUFS, ENOMEM...: retrying now would
                    // spin. Pause, report once, try again later; the
                    // connections already served are not affected.
                    self.state.borrow_mut().backing_off = true;
                    let mut ctx = ExceptionContext::new(format!(
                        "accept failed; the server pauses accepting for {ACCEPT_RETRY_DELAY:?}"
                    ));
                    ctx.location = Some(self.location);
                    ctx.kind = Some(CallbackKind::Transport);
                    ctx.error = Some(e);
                    lp.call_exception_handler(ctx);
                    let me = self.clone();
                    let _ = lp.call_later(ACCEPT_RETRY_DELAY, move |lp| {
                        me.state.borrow_mut().backing_off = false;
                        me.accept_some(lp);
                    });
                    return;
                }
            }
        }
        // Budget spent: more may be waiting behind no new edge.
        let me = self.clone();
        self.local.push(Box::new(Call {
            f: move |lp: &mut EventLoop| me.accept_some(lp),
            location: self.location,
            tag: Tag::new(CallbackKind::Transport, self.unit.get()),
        }));
    }

    fn serve(self: &Rc<Listener>, lp: &mut EventLoop, stream: TcpStream) {
        if let Err(e) = stream.set_nodelay(true) {
            let mut ctx = ExceptionContext::new("could not prepare an accepted connection");
            ctx.error = Some(e);
            lp.call_exception_handler(ctx);
            return;
        }
        let protocol = (self.factory.borrow_mut())();
        let conn = Conn::new(stream, protocol, lp, self.location);
        if let Err(e) = conn.start(lp) {
            let mut ctx = ExceptionContext::new("could not register an accepted connection");
            ctx.error = Some(e);
            lp.call_exception_handler(ctx);
            return;
        }
        if let Some(timeout) = self.read_timeout.get() {
            conn.start_read_timeout(lp, timeout);
        }
    }

    fn close(self: &Rc<Listener>, lp: &mut EventLoop) {
        let (slot, fd, listener) = {
            let mut st = self.state.borrow_mut();
            (st.slot.take(), st.fd, st.listener.take())
        };
        if let Some(slot) = slot {
            lp.deregister_stream(slot, fd);
        }
        drop(listener);
    }
}

impl IoSource for Listener {
    fn ready(self: Rc<Self>, lp: &mut EventLoop, _readiness: Readiness) {
        self.accept_some(lp);
    }

    fn location(&self) -> &'static Location<'static> {
        self.location
    }

    fn shutdown(&self) {
        self.state.borrow_mut().listener = None;
    }
}

/// A listening TCP server made by [`EventLoop::create_server`] (asyncio's
/// `Server`).
///
/// It keeps serving while the loop runs, whether or not this handle is
/// kept; [`close`](Server::close) stops accepting (connections already
/// made go on).
///
/// # Examples
///
/// See [`EventLoop::create_server`].
#[derive(Clone)]
pub struct Server {
    /// The listener.
    listener: Rc<Listener>,
    /// Its address, for `local_addr`.
    addr: SocketAddr,
}

impl Server {
    /// The address the server listens on (with the port the OS chose, if
    /// port 0 was asked for).
    ///
    /// # Examples
    ///
    /// See [`EventLoop::create_server`].
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Gives every connection accepted from now on a read timeout (see
    /// [`Transport::set_read_timeout`](crate::Transport::set_read_timeout)):
    /// a client that sends nothing for `timeout` is closed and its
    /// protocol's `connection_lost` receives `TimedOut`. `None` (the
    /// default) turns it off for new connections. Connections accept only
    /// while the loop runs, so set right after
    /// [`create_server`](EventLoop::create_server) it applies to all of
    /// them; a protocol may still change its own in `connection_made`.
    /// Connections already accepted keep theirs.
    ///
    /// The period starts when the connection is accepted and again with
    /// every read that delivers data, so a slow client (a byte every few
    /// seconds, against a timeout of two) is closed while clients that
    /// keep talking are not affected.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for `Some(Duration::ZERO)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::{EventLoop, Protocol, Transport};
    /// use std::time::Duration;
    ///
    /// struct Echo;
    /// impl Protocol for Echo {
    ///     fn data_received(&mut self, _: &mut EventLoop, t: &Transport, data: &[u8]) {
    ///         let _ = t.write(data);
    ///     }
    /// }
    /// let mut lp = EventLoop::new()?;
    /// let server = lp.create_server("127.0.0.1:0", || Box::new(Echo))?;
    /// server.set_read_timeout(Some(Duration::from_secs(30)))?;
    /// assert_eq!(server.read_timeout(), Some(Duration::from_secs(30)));
    /// assert!(server.set_read_timeout(Some(Duration::ZERO)).is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        crate::transport::check_timeout(timeout)?;
        self.listener.read_timeout.set(timeout);
        Ok(())
    }

    /// The read timeout new connections get (see
    /// [`set_read_timeout`](Server::set_read_timeout)).
    ///
    /// # Examples
    ///
    /// See [`set_read_timeout`](Server::set_read_timeout).
    pub fn read_timeout(&self) -> Option<Duration> {
        self.listener.read_timeout.get()
    }

    /// Stops accepting, in the next iteration, and closes the listening
    /// socket. Connections already accepted are not affected.
    ///
    /// # Examples
    ///
    /// See [`EventLoop::create_server`].
    pub fn close(&self) {
        let me = self.listener.clone();
        self.listener.local.push(Box::new(Call {
            f: move |lp: &mut EventLoop| me.close(lp),
            location: self.listener.location,
            tag: Tag::new(CallbackKind::Transport, self.listener.unit.get()),
        }));
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish()
    }
}

impl EventLoop {
    /// Listens on `addr` (the first address it resolves to) and, for every
    /// connection, makes a protocol with
    /// `factory` and drives it (asyncio's `loop.create_server`).
    ///
    /// Accepting is non-blocking and bounded per iteration. When accept
    /// fails (`EMFILE`: out of descriptors, ...), the failure goes to the
    /// exception handler once and accepting pauses for a second; the
    /// connections already made go on being served, and the loop does not
    /// spin.
    ///
    /// # Errors
    ///
    /// When resolving, binding or registering fails (`AddrInUse`, ...).
    ///
    /// An IP address (`"127.0.0.1:8080"`, `("::1", 8080)`) is parsed, never
    /// looked up. A host name goes to the system resolver on the loop's
    /// thread, which may block on DNS: resolve names first with
    /// [`EventLoop::getaddrinfo`], off the loop, and pass the address.
    ///
    /// # Examples
    ///
    /// An echo server and a client on loopback:
    ///
    /// ```
    /// use simul_callback::{Deferred, EventLoop, Protocol, Transport};
    /// use std::io;
    ///
    /// struct Echo;
    /// impl Protocol for Echo {
    ///     fn data_received(&mut self, _: &mut EventLoop, t: &Transport, data: &[u8]) {
    ///         t.write(data).unwrap();
    ///     }
    /// }
    ///
    /// struct Client { reply: Vec<u8>, done: Deferred<Vec<u8>> }
    /// impl Protocol for Client {
    ///     fn connection_made(&mut self, _: &mut EventLoop, t: &Transport) {
    ///         t.write(b"hello").unwrap();
    ///         t.write_eof().unwrap(); // half-close: the server still answers
    ///     }
    ///     fn data_received(&mut self, _: &mut EventLoop, _: &Transport, data: &[u8]) {
    ///         self.reply.extend_from_slice(data);
    ///     }
    ///     fn connection_lost(&mut self, _: &mut EventLoop, error: Option<io::Error>) {
    ///         assert!(error.is_none());
    ///         let _ = self.done.set_result(std::mem::take(&mut self.reply));
    ///     }
    /// }
    ///
    /// let mut lp = EventLoop::new()?;
    /// let server = lp.create_server("127.0.0.1:0", || Box::new(Echo))?;
    /// let done = Deferred::new();
    /// lp.create_connection(server.local_addr(), Client { reply: Vec::new(), done: done.clone() })?;
    /// assert_eq!(lp.run_until_complete(&done)?, b"hello");
    /// server.close();
    /// # Ok::<(), simul_callback::Error>(())
    /// ```
    #[track_caller]
    pub fn create_server(
        &mut self,
        addr: impl ToSocketAddrs,
        mut factory: impl FnMut() -> Box<dyn Protocol> + 'static,
    ) -> io::Result<Server> {
        let location = Location::caller();
        let addr = addr.to_socket_addrs()?.next().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "the address resolved to nothing")
        })?;
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let fd = listener.as_raw_fd();
        let listener = Rc::new(Listener {
            state: RefCell::new(ListenerState {
                listener: Some(listener),
                fd,
                slot: None,
                backing_off: false,
            }),
            factory: RefCell::new(Box::new(move || factory())),
            local: self.local(),
            location,
            unit: Cell::new(0),
            read_timeout: Cell::new(None),
        });
        let (slot, unit) = self.register_stream(fd, listener.clone(), false)?;
        listener.state.borrow_mut().slot = Some(slot);
        listener.unit.set(unit);
        Ok(Server { listener, addr })
    }

    /// Connects to `addr` and drives `protocol` on the connection
    /// (asyncio's `loop.create_connection`, callback style).
    ///
    /// The connect is non-blocking. When it completes the protocol gets
    /// `connection_made` and then its data; if it fails, the protocol gets
    /// only `connection_lost(Some(error))` (for example
    /// `ConnectionRefused`).
    ///
    /// # Errors
    ///
    /// When the socket cannot be created or registered, or the OS refuses
    /// the connect at once; the protocol is dropped then, uncalled.
    ///
    /// # Examples
    ///
    /// See [`EventLoop::create_server`].
    #[track_caller]
    pub fn create_connection(
        &mut self,
        addr: SocketAddr,
        protocol: impl Protocol + 'static,
    ) -> io::Result<()> {
        let location = Location::caller();
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        let conn = Conn::new(stream, Box::new(protocol), self, location);
        conn.start_connecting(self)
    }

    /// Resolves `host` and `port` to socket addresses on a worker thread
    /// and calls `done` on the loop with them (asyncio's
    /// `loop.getaddrinfo`).
    ///
    /// The system resolver (`getaddrinfo(3)`) blocks, for as long as a DNS
    /// server takes to answer, so a callback loop never calls it on its own
    /// thread: the lookup runs on the executor's pool, like any blocking
    /// call ([`EventLoop::run_in_executor`]), and the loop keeps serving
    /// while it waits. An IP address resolves to itself at once.
    ///
    /// `done` gets the addresses in the resolver's order, or its error
    /// (a lookup that panicked arrives as an error too). An empty list is
    /// an error of kind `NotFound`, so the first address always exists.
    ///
    /// # Errors
    ///
    /// When the OS refuses to start the first worker thread.
    ///
    /// # Examples
    ///
    /// Resolve, then connect to the first address:
    ///
    /// ```
    /// use simul_callback::{Deferred, EventLoop};
    ///
    /// let mut lp = EventLoop::new()?;
    /// let found = Deferred::new();
    /// let f = found.clone();
    /// lp.getaddrinfo("127.0.0.1", 8080, move |_lp, addrs| {
    ///     // Here a client would `lp.create_connection(addrs?[0], ..)`.
    ///     let _ = f.set_result(addrs.map(|a| a[0]).map_err(|e| e.kind()));
    /// })?;
    /// assert_eq!(lp.run_until_complete(&found)?, Ok("127.0.0.1:8080".parse().unwrap()));
    /// # Ok::<(), simul_callback::Error>(())
    /// ```
    #[track_caller]
    pub fn getaddrinfo(
        &mut self,
        host: &str,
        port: u16,
        done: impl FnOnce(&mut EventLoop, io::Result<Vec<SocketAddr>>) + 'static,
    ) -> io::Result<()> {
        let host = host.to_owned();
        self.run_in_executor(
            move || -> io::Result<Vec<SocketAddr>> {
                let addrs: Vec<SocketAddr> = (host.as_str(), port).to_socket_addrs()?.collect();
                if addrs.is_empty() {
                    return Err(io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("{host}:{port} resolved to no address"),
                    ));
                }
                Ok(addrs)
            },
            move |lp, result| done(lp, result.map_err(io::Error::other).and_then(|r| r)),
        )
    }
}
