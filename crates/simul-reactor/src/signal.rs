//! [`Signal`] and [`Signals`]: Unix signals as a readable descriptor.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use crate::sys;

/// A Unix signal number, named so that callers need no `libc`.
///
/// The constants cover the signals an event loop usually handles; any
/// other number can be made with [`Signal::from_raw`]. Which numbers can
/// be *listened* for is decided by [`Signals::new`].
///
/// # Examples
///
/// ```
/// use simul_reactor::Signal;
///
/// assert_eq!(Signal::INT.to_string(), "SIGINT");
/// assert_eq!(Signal::from_raw(Signal::TERM.as_raw()), Signal::TERM);
/// ```
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signal(libc::c_int);

impl Signal {
    /// `SIGHUP`: the terminal went away; daemons take it as "reload".
    pub const HUP: Signal = Signal(libc::SIGHUP);
    /// `SIGINT`: Ctrl-C at the terminal. Servers stop cleanly on it.
    pub const INT: Signal = Signal(libc::SIGINT);
    /// `SIGQUIT`: Ctrl-\ at the terminal.
    pub const QUIT: Signal = Signal(libc::SIGQUIT);
    /// `SIGTERM`: the polite request to stop (`kill`'s default, systemd's).
    pub const TERM: Signal = Signal(libc::SIGTERM);
    /// `SIGUSR1`: user-defined.
    pub const USR1: Signal = Signal(libc::SIGUSR1);
    /// `SIGUSR2`: user-defined.
    pub const USR2: Signal = Signal(libc::SIGUSR2);
    /// `SIGCHLD`: a child process exited, stopped or continued.
    pub const CHLD: Signal = Signal(libc::SIGCHLD);
    /// `SIGWINCH`: the terminal window changed size.
    pub const WINCH: Signal = Signal(libc::SIGWINCH);
    /// `SIGPIPE`: a write to a pipe or socket nobody reads. Rust programs
    /// ignore it from the start, so writes fail with `BrokenPipe` instead.
    pub const PIPE: Signal = Signal(libc::SIGPIPE);
    /// `SIGALRM`: an `alarm(2)` timer expired.
    pub const ALRM: Signal = Signal(libc::SIGALRM);
    /// `SIGCONT`: the process was continued after a stop.
    pub const CONT: Signal = Signal(libc::SIGCONT);
    /// `SIGTSTP`: Ctrl-Z at the terminal.
    pub const TSTP: Signal = Signal(libc::SIGTSTP);
    /// `SIGKILL`: cannot be caught; [`Signals::new`] refuses it. Useful
    /// with [`Child::signal`](crate::Child::signal).
    pub const KILL: Signal = Signal(libc::SIGKILL);

    /// The signal with OS number `signo`. No check is made here; see
    /// [`Signals::new`] for which ones can be listened for.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::Signal;
    /// assert_eq!(Signal::from_raw(2).as_raw(), 2);
    /// ```
    pub const fn from_raw(signo: i32) -> Signal {
        Signal(signo)
    }

    /// The OS number of this signal.
    ///
    /// # Examples
    /// See [`Signal::from_raw`].
    pub const fn as_raw(self) -> i32 {
        self.0
    }

    /// Sends this signal to the calling thread, as `raise(3)` does. An
    /// unblocked signal's handler runs before `raise` returns, which makes
    /// this the reliable way for a program (or a test) to signal itself.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a number that is not a signal.
    ///
    /// # Examples
    ///
    /// See [`Signals`].
    pub fn raise(self) -> io::Result<()> {
        sys::signal::raise(self.0)
    }

    fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            libc::SIGHUP => "SIGHUP",
            libc::SIGINT => "SIGINT",
            libc::SIGQUIT => "SIGQUIT",
            libc::SIGTERM => "SIGTERM",
            libc::SIGUSR1 => "SIGUSR1",
            libc::SIGUSR2 => "SIGUSR2",
            libc::SIGCHLD => "SIGCHLD",
            libc::SIGWINCH => "SIGWINCH",
            libc::SIGPIPE => "SIGPIPE",
            libc::SIGALRM => "SIGALRM",
            libc::SIGCONT => "SIGCONT",
            libc::SIGTSTP => "SIGTSTP",
            libc::SIGKILL => "SIGKILL",
            libc::SIGSTOP => "SIGSTOP",
            libc::SIGSEGV => "SIGSEGV",
            libc::SIGBUS => "SIGBUS",
            libc::SIGILL => "SIGILL",
            libc::SIGFPE => "SIGFPE",
            _ => return None,
        })
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "signal {}", self.0),
        }
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A set of signals delivered as readiness of one file descriptor.
///
/// asyncio's `loop.add_signal_handler(SIGINT, stop)` lets a server stop
/// cleanly on Ctrl-C: the signal does not kill the process, it becomes an
/// event the loop handles between tasks, like any other. `Signals` is the
/// reactor's half of that. Register its descriptor with
/// [`Reactor::register`](crate::Reactor::register) for
/// [`Interest::READABLE`](crate::Interest::READABLE); when it is reported
/// readable, call [`pending`](Signals::pending) to learn which signals
/// came. Every style (a callback table, a parked coroutine, a waker, a
/// green thread) waits on it the same way it waits on a socket.
///
/// **How it works.** While at least one `Signals` listens for a signal,
/// simul's own handler is installed for it (with `SA_RESTART`). The
/// handler runs in whatever thread the kernel picks, so it does almost
/// nothing: it sets a flag and writes one byte to a non-blocking pipe
/// belonging to each listener. The pipe's read end is this descriptor.
/// No lock, no allocation, `errno` preserved: what a signal handler may do.
///
/// **Why not `signalfd`?** On Linux a signalfd only sees signals that are
/// blocked in *every* thread; otherwise the kernel delivers them to some
/// thread the ordinary way. A runtime cannot block signals in threads it
/// did not start, so it would miss them. **Why not kqueue's
/// `EVFILT_SIGNAL`?** It observes a signal but leaves its disposition
/// alone, so `SIGINT` would still kill the process first. The self-pipe
/// works alike everywhere.
///
/// **Semantics.**
/// * Several `Signals` may listen for the same signal; each one gets it.
/// * Signals coalesce, as Unix signals always do: ten `SIGUSR1`s before a
///   [`pending`](Signals::pending) call are reported once. None is lost:
///   a signal that arrives after a drain makes the descriptor readable
///   again.
/// * While any `Signals` listens for a signal, the signal's previous
///   disposition (default action, ignore, or another handler) is *not*
///   run. Dropping the last listener for a signal puts the previous
///   disposition back.
/// * Edge-triggered, like every registration: after a readable event,
///   call `pending` once (it drains everything), then wait again.
///
/// # Examples
///
/// ```
/// use simul_reactor::{Events, Interest, Reactor, Signal, Signals, Token};
/// use std::os::fd::AsRawFd;
///
/// let mut reactor = Reactor::new()?;
/// let signals = Signals::new(&[Signal::USR1])?;
/// reactor.register(signals.as_raw_fd(), Token(7), Interest::READABLE)?;
///
/// Signal::USR1.raise()?; // would kill the process without a listener
///
/// let mut events = Events::with_capacity(8);
/// reactor.poll(&mut events, None)?;
/// assert!(events.iter().any(|e| e.token() == Token(7)));
/// assert_eq!(signals.pending()?, vec![Signal::USR1]);
/// assert!(signals.pending()?.is_empty()); // drained
/// # reactor.deregister(signals.as_raw_fd())?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Signals {
    /// The self-pipe and its slots in the handler's table.
    listener: sys::signal::Listener,
    /// What this listener was asked for, without duplicates.
    signals: Vec<Signal>,
}

impl Signals {
    /// Starts listening for `signals`. Duplicates are ignored.
    ///
    /// From this call on, a signal in the set no longer takes its previous
    /// action (for `SIGINT`, ending the process); it makes this
    /// descriptor readable instead.
    ///
    /// # Errors
    ///
    /// * `InvalidInput` for an empty set, for `SIGKILL` and `SIGSTOP`
    ///   (no process can catch them), for `SIGSEGV`, `SIGBUS`, `SIGILL`
    ///   and `SIGFPE` (they report a fault in the running thread, which
    ///   cannot wait for an event loop), and for numbers outside 1..=64.
    /// * `OutOfMemory` when more than 1,024 (listener, signal) pairs exist
    ///   at once: the handler's table has a fixed size, because a signal
    ///   handler may not allocate.
    /// * The OS error from `pipe` or `sigaction` (`EINVAL` for numbers the
    ///   system reserves, such as glibc's 32 and 33).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::{Signal, Signals};
    /// use std::io::ErrorKind;
    ///
    /// let both = Signals::new(&[Signal::USR2, Signal::USR2, Signal::WINCH])?;
    /// assert_eq!(both.signals(), &[Signal::USR2, Signal::WINCH]);
    /// assert_eq!(Signals::new(&[Signal::KILL]).unwrap_err().kind(), ErrorKind::InvalidInput);
    /// assert_eq!(Signals::new(&[]).unwrap_err().kind(), ErrorKind::InvalidInput);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(signals: &[Signal]) -> io::Result<Signals> {
        let mut unique: Vec<Signal> = Vec::with_capacity(signals.len());
        for &s in signals {
            if !unique.contains(&s) {
                unique.push(s);
            }
        }
        if unique.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "Signals::new needs at least one signal",
            ));
        }
        let raw: Vec<libc::c_int> = unique.iter().map(|s| s.0).collect();
        let listener = sys::signal::Listener::new(&raw)?;
        Ok(Signals { listener, signals: unique })
    }

    /// The signals listened for, in the order first given.
    ///
    /// # Examples
    /// See [`Signals::new`].
    pub fn signals(&self) -> &[Signal] {
        &self.signals
    }

    /// Drains the descriptor and returns the signals that arrived since
    /// the last call, each once, in the order of [`signals`](Signals::signals).
    ///
    /// Never blocks and never returns `WouldBlock`: with nothing pending
    /// the vector is empty (a wake-up can be spurious when a signal lands
    /// during the previous call; its flag was collected then).
    ///
    /// # Errors
    ///
    /// Only an OS error reading the pipe, which does not happen in
    /// practice: the pipe is private.
    ///
    /// # Examples
    /// See [`Signals`].
    pub fn pending(&self) -> io::Result<Vec<Signal>> {
        let mut raw = Vec::new();
        self.listener.take_pending(&mut raw)?;
        Ok(raw.into_iter().map(Signal).collect())
    }
}

impl AsRawFd for Signals {
    /// The descriptor to register for [`Interest::READABLE`](crate::Interest::READABLE).
    fn as_raw_fd(&self) -> RawFd {
        self.listener.fd()
    }
}

impl AsFd for Signals {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.listener.as_fd()
    }
}
