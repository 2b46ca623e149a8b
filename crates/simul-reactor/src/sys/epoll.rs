//! The Linux backend: one `epoll` instance, edge-triggered.
//!
//! Every registration asks for `EPOLLET | EPOLLRDHUP` plus the interest.
//! Edge triggering means an event is reported when readiness *changes*,
//! so a caller must read (or write) until the call returns `WouldBlock`
//! before it waits again; `EPOLLRDHUP` makes a peer's half-close visible as
//! "read closed" without a read. See `epoll(7)`, "Level-triggered and
//! edge-triggered", for the rule the callers follow.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::socket::retry;
use crate::{Interest, Token};

/// One entry filled in by `epoll_wait`.
pub(crate) type RawEvent = libc::epoll_event;

/// Whether `epoll_pwait2` (Linux 5.11) was found missing: after the first
/// `ENOSYS` every later wait goes straight to `epoll_wait`.
static NO_PWAIT2: AtomicBool = AtomicBool::new(false);

/// An epoll instance.
///
/// # Invariant
/// `ep` is an epoll file descriptor opened with `EPOLL_CLOEXEC`, owned by
/// this value alone; dropping the selector closes it and nothing else.
#[derive(Debug)]
pub(crate) struct Selector {
    /// The epoll file descriptor.
    ep: OwnedFd,
}

impl Selector {
    /// Opens a new epoll instance.
    pub(crate) fn new() -> io::Result<Selector> {
        let fd = syscall!(epoll_create1(libc::EPOLL_CLOEXEC))?;
        // SAFETY: `epoll_create1` just returned this descriptor; nothing
        // else owns it.
        let ep = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Selector { ep })
    }

    /// The epoll descriptor itself, so registration can refuse it.
    pub(crate) fn raw_fd(&self) -> RawFd {
        self.ep.as_raw_fd()
    }

    /// Adds `fd` with `interest`; the kernel refuses a second registration
    /// of the same descriptor with `EEXIST`.
    pub(crate) fn register(&self, fd: RawFd, token: Token, interest: Interest) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_ADD, fd, token, interest)
    }

    /// Replaces the token and interest of a registered `fd`. Under edge
    /// triggering this also re-arms it: a descriptor that is ready now is
    /// reported by the next wait even though no new edge happened.
    pub(crate) fn reregister(&self, fd: RawFd, token: Token, interest: Interest) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_MOD, fd, token, interest)
    }

    /// Removes `fd`; an unknown descriptor gives `ENOENT`.
    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        // Kernels before 2.6.9 demanded a non-null event even for DEL, so
        // one is passed (see `epoll_ctl(2)`, BUGS).
        let mut ev = libc::epoll_event { events: 0, u64: 0 };
        // `epoll_ctl(2)` lists no `EINTR`, but a call that fails with it
        // has done nothing (seccomp filters and tracers can inject it), so
        // it is made again rather than handed to a caller who was promised
        // never to see `Interrupted`: `scripts/eintr.sh` checks this.
        // SAFETY: `ev` is a valid epoll_event for the duration of the call.
        retry(|| syscall!(epoll_ctl(self.ep.as_raw_fd(), libc::EPOLL_CTL_DEL, fd, &mut ev)))
            .map(drop)
    }

    /// One `epoll_ctl` ADD or MOD, retried on `EINTR` like `deregister`.
    fn ctl(&self, op: libc::c_int, fd: RawFd, token: Token, interest: Interest) -> io::Result<()> {
        let mut ev = libc::epoll_event { events: interest_to_epoll(interest), u64: token.0 as u64 };
        // SAFETY: `ev` is a valid epoll_event for the duration of the call;
        // the kernel validates `fd` and reports a bad one as an error.
        retry(|| syscall!(epoll_ctl(self.ep.as_raw_fd(), op, fd, &mut ev))).map(drop)
    }

    /// Waits for events, at most `timeout` (`None`: until one arrives).
    ///
    /// Fills `events` (up to its capacity) and returns; an `EINTR` is
    /// returned to the caller, which owns the retry policy because it
    /// knows the deadline.
    pub(crate) fn select(
        &self,
        events: &mut Vec<RawEvent>,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        events.clear();
        let cap = events.capacity().min(libc::c_int::MAX as usize) as libc::c_int;
        let n = match timeout {
            // A zero or whole-millisecond timeout loses nothing with
            // `epoll_wait`, which is the cheaper call.
            Some(t) if t.subsec_nanos() % 1_000_000 == 0 => self.wait_ms(events, cap, timeout)?,
            Some(t) if !NO_PWAIT2.load(Ordering::Relaxed) => match self.pwait2(events, cap, t) {
                Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => {
                    NO_PWAIT2.store(true, Ordering::Relaxed);
                    self.wait_ms(events, cap, Some(t))?
                }
                other => other?,
            },
            _ => self.wait_ms(events, cap, timeout)?,
        };
        // SAFETY: the kernel initialised the first `n` entries, and
        // `n <= cap <= capacity`.
        unsafe { events.set_len(n as usize) };
        Ok(())
    }

    /// `epoll_pwait2` takes a `timespec`: nanosecond precision.
    fn pwait2(
        &self,
        events: &mut Vec<RawEvent>,
        cap: libc::c_int,
        t: Duration,
    ) -> io::Result<libc::c_int> {
        let ts = libc::timespec {
            // Clamp: a timeout of centuries is as good as forever.
            tv_sec: t.as_secs().min(libc::time_t::MAX as u64) as libc::time_t,
            tv_nsec: t.subsec_nanos() as libc::c_long,
        };
        // SAFETY: `events` has room for `cap` entries; `ts` outlives the
        // call; a null sigmask means "leave the mask alone".
        let n = unsafe {
            libc::syscall(
                libc::SYS_epoll_pwait2,
                self.ep.as_raw_fd(),
                events.as_mut_ptr(),
                cap,
                &ts as *const libc::timespec,
                std::ptr::null::<libc::sigset_t>(),
                0usize,
            )
        };
        if n == -1 { Err(io::Error::last_os_error()) } else { Ok(n as libc::c_int) }
    }

    /// `epoll_wait` takes whole milliseconds: round *up* so a wait never
    /// ends before its deadline.
    fn wait_ms(
        &self,
        events: &mut Vec<RawEvent>,
        cap: libc::c_int,
        t: Option<Duration>,
    ) -> io::Result<libc::c_int> {
        let ms = match t {
            None => -1,
            Some(t) => {
                let ms = t.as_nanos().div_ceil(1_000_000);
                ms.min(libc::c_int::MAX as u128) as libc::c_int
            }
        };
        // SAFETY: `events` has room for `cap` entries.
        syscall!(epoll_wait(self.ep.as_raw_fd(), events.as_mut_ptr(), cap, ms))
    }
}

fn interest_to_epoll(interest: Interest) -> u32 {
    let mut bits = (libc::EPOLLET | libc::EPOLLRDHUP) as u32;
    if interest.is_readable() {
        bits |= (libc::EPOLLIN | libc::EPOLLPRI) as u32;
    }
    if interest.is_writable() {
        bits |= libc::EPOLLOUT as u32;
    }
    bits
}

/// Reading one `RawEvent`, the same functions on every backend.
pub(crate) mod event {
    use super::RawEvent;
    use crate::Token;

    const IN: u32 = libc::EPOLLIN as u32;
    const PRI: u32 = libc::EPOLLPRI as u32;
    const OUT: u32 = libc::EPOLLOUT as u32;
    const ERR: u32 = libc::EPOLLERR as u32;
    const HUP: u32 = libc::EPOLLHUP as u32;
    const RDHUP: u32 = libc::EPOLLRDHUP as u32;

    pub(crate) fn token(ev: &RawEvent) -> Token {
        Token(ev.u64 as usize)
    }
    pub(crate) fn is_readable(ev: &RawEvent) -> bool {
        let e = ev.events;
        e & (IN | PRI) != 0
    }
    pub(crate) fn is_writable(ev: &RawEvent) -> bool {
        ev.events & OUT != 0
    }
    pub(crate) fn is_error(ev: &RawEvent) -> bool {
        ev.events & ERR != 0
    }
    /// The peer shut down its writing side (or the whole connection is
    /// gone): reads will see end-of-file once buffered data is consumed.
    pub(crate) fn is_read_closed(ev: &RawEvent) -> bool {
        let e = ev.events;
        e & HUP != 0 || (e & IN != 0 && e & RDHUP != 0)
    }
    /// Writing can no longer succeed: the connection hung up, or an error
    /// is pending on a descriptor we could otherwise write.
    pub(crate) fn is_write_closed(ev: &RawEvent) -> bool {
        let e = ev.events;
        e & HUP != 0 || (e & OUT != 0 && e & ERR != 0) || e == ERR
    }
    /// Plain data only: no end-of-file, hang-up, error or urgent data
    /// (`EPOLLPRI`, which TCP raises while an urgent byte is pending: a
    /// read stops short at its mark).
    pub(crate) fn short_read_drains(ev: &RawEvent) -> bool {
        ev.events & (PRI | ERR | HUP | RDHUP) == 0
    }
}
