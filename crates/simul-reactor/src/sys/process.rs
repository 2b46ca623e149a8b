//! A pollable descriptor that becomes readable when a child process exits.
//!
//! * **Linux 5.3 and later:** `pidfd_open(2)`. A pidfd is readable once the
//!   process has exited (see "Use cases for PID file descriptors" in the
//!   man page).
//! * **Older Linux, or a sandbox that forbids `pidfd_open`:** a `SIGCHLD`
//!   listener from [`super::signal`]. `SIGCHLD` says *some* child changed
//!   state, not which one, so every watcher is woken and each checks its
//!   own child with `waitpid(WNOHANG)`.
//! * **kqueue systems:** a private kqueue holding `EVFILT_PROC` with
//!   `NOTE_EXIT` for the pid. A kqueue descriptor is itself readable when
//!   it has pending events, so the outer reactor watches it like a socket.
//!
//! Whatever the mechanism, readiness only means "check now": the exit
//! status is always collected by `waitpid`, through `std::process::Child`.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
#[cfg(not(any(target_os = "linux", target_os = "android")))]
use std::os::fd::{FromRawFd, OwnedFd};

#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) use linux::ExitWatch;

#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) use kqueue::ExitWatch;

/// Sends `signo` to process `pid`.
///
/// The caller guarantees `pid` has not been reaped yet (it owns the
/// unreaped child), so the number cannot have been reused by another
/// process.
pub(crate) fn send_signal(pid: u32, signo: libc::c_int) -> io::Result<()> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| {
        io::Error::new(io::ErrorKind::InvalidInput, format!("{pid} is not a process id"))
    })?;
    // SAFETY: `kill` takes plain integers; bad ones give ESRCH or EINVAL.
    syscall!(kill(pid, signo))?;
    Ok(())
}

/// Reaps `pid` if it has exited, without blocking.
///
/// `Ok(true)`: reaped (its status is discarded: nobody holds its handle
/// any more). `Ok(false)`: still running. `Err` with `ECHILD`: not our
/// child, or reaped already.
pub(crate) fn reap(pid: u32) -> io::Result<bool> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| {
        io::Error::new(io::ErrorKind::InvalidInput, format!("{pid} is not a process id"))
    })?;
    let mut status: libc::c_int = 0;
    loop {
        // SAFETY: `status` is a live int; WNOHANG makes the call return at
        // once.
        match syscall!(waitpid(pid, &mut status, libc::WNOHANG)) {
            Ok(0) => return Ok(false),
            Ok(_) => return Ok(true),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod linux {
    use super::*;
    use crate::sys::signal::Listener;
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Set once `pidfd_open` has failed with `ENOSYS` (kernel older than
    /// 5.3) or `EPERM` (a seccomp filter forbids it): every later watch
    /// goes straight to the `SIGCHLD` listener.
    pub(crate) static NO_PIDFD: AtomicBool = AtomicBool::new(false);

    /// How the exit of one child is watched on Linux.
    #[derive(Debug)]
    pub(crate) enum ExitWatch {
        /// A pidfd: readable once the process has exited. Never needs
        /// draining.
        Pidfd(OwnedFd),
        /// A `SIGCHLD` self-pipe, poked once at creation so the first poll
        /// checks the child even if it exited before the listener existed.
        SigChld(Listener),
    }

    impl ExitWatch {
        /// Watches the (unreaped) child `pid`.
        pub(crate) fn new(pid: u32) -> io::Result<ExitWatch> {
            if !NO_PIDFD.load(Ordering::Relaxed) {
                let raw = libc::pid_t::try_from(pid).map_err(|_| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("{pid} is not a process id"),
                    )
                })?;
                // SAFETY: SYS_pidfd_open takes a pid and a flags word (0);
                // it returns a new descriptor or -1 with errno.
                match syscall!(syscall(libc::SYS_pidfd_open, raw, 0 as libc::c_uint)) {
                    Ok(fd) => {
                        // SAFETY: the kernel just returned this descriptor
                        // (close-on-exec by default); nothing else owns it.
                        return Ok(ExitWatch::Pidfd(unsafe { OwnedFd::from_raw_fd(fd as RawFd) }));
                    }
                    Err(e)
                        if matches!(e.raw_os_error(), Some(libc::ENOSYS) | Some(libc::EPERM)) =>
                    {
                        NO_PIDFD.store(true, Ordering::Relaxed);
                    }
                    Err(e) => return Err(e),
                }
            }
            ExitWatch::sigchld()
        }

        /// The fallback watch, also used directly by tests.
        pub(crate) fn sigchld() -> io::Result<ExitWatch> {
            let listener = Listener::new(&[libc::SIGCHLD])?;
            listener.poke()?;
            Ok(ExitWatch::SigChld(listener))
        }

        /// The descriptor to register for readability.
        pub(crate) fn fd(&self) -> RawFd {
            match self {
                ExitWatch::Pidfd(fd) => fd.as_raw_fd(),
                ExitWatch::SigChld(l) => l.fd(),
            }
        }

        /// Consumes the readiness seen so far, before the caller checks
        /// the child: a `SIGCHLD` that comes after this makes a new edge.
        pub(crate) fn clear(&self) -> io::Result<()> {
            match self {
                ExitWatch::Pidfd(_) => Ok(()),
                ExitWatch::SigChld(l) => {
                    let mut seen = Vec::new();
                    l.take_pending(&mut seen)
                }
            }
        }
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod kqueue {
    use super::*;

    /// A private kqueue holding one `EVFILT_PROC`/`NOTE_EXIT` filter.
    ///
    /// # Invariant
    /// `kq` is a kqueue owned by this value alone. It holds either the
    /// process filter for the child, or (when the child had already exited
    /// at creation) a zero-delay one-shot timer, so it becomes readable
    /// either way.
    #[derive(Debug)]
    pub(crate) struct ExitWatch {
        /// The private kqueue; the outer reactor watches it for reading.
        kq: OwnedFd,
    }

    impl ExitWatch {
        /// Watches the (unreaped) child `pid`.
        pub(crate) fn new(pid: u32) -> io::Result<ExitWatch> {
            // SAFETY: `kqueue` takes no arguments.
            let raw = syscall!(kqueue())?;
            // SAFETY: the kernel just returned this descriptor; nothing
            // else owns it.
            let kq = unsafe { OwnedFd::from_raw_fd(raw) };
            // kqueues are not inherited by `fork`; close-on-exec keeps
            // `exec` from seeing the number at all on systems that would.
            // SAFETY: `kq` is open; FD_CLOEXEC is a valid flag.
            syscall!(fcntl(kq.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC))?;
            let watch = ExitWatch { kq };
            match watch.add(pid as libc::uintptr_t, libc::EVFILT_PROC as _, libc::NOTE_EXIT as _) {
                Ok(()) => {}
                // The child is already a zombie: macOS refuses to attach to
                // it (ESRCH). Make the kqueue readable right away with a
                // zero-delay timer; the caller's `waitpid` finds the status.
                Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {
                    watch.add(0, libc::EVFILT_TIMER as _, 0)?;
                }
                Err(e) => return Err(e),
            }
            Ok(watch)
        }

        /// Adds one filter, one-shot, to the private kqueue. For the timer,
        /// `data` stays 0: it fires at once.
        fn add(&self, ident: libc::uintptr_t, filter: i64, fflags: u32) -> io::Result<()> {
            // SAFETY: an all-zero kevent is a valid value we then fill in.
            let mut change: libc::kevent = unsafe { std::mem::zeroed() };
            change.ident = ident as _;
            change.filter = filter as _;
            change.flags = (libc::EV_ADD | libc::EV_ONESHOT) as _;
            change.fflags = fflags as _;
            // SAFETY: one change from a live value, no output buffer, and
            // a null timeout (registration does not wait).
            syscall!(kevent(
                self.kq.as_raw_fd(),
                &change,
                1,
                std::ptr::null_mut(),
                0,
                std::ptr::null()
            ))?;
            Ok(())
        }

        /// The descriptor to register for readability.
        pub(crate) fn fd(&self) -> RawFd {
            self.kq.as_raw_fd()
        }

        /// Takes the pending event out of the private kqueue, so it stops
        /// being readable once the caller has seen it.
        pub(crate) fn clear(&self) -> io::Result<()> {
            // SAFETY: an all-zero kevent is a valid output buffer.
            let mut out: libc::kevent = unsafe { std::mem::zeroed() };
            let zero = libc::timespec { tv_sec: 0, tv_nsec: 0 };
            loop {
                // SAFETY: no changes, one live output slot, a live zero
                // timeout: the call does not block.
                match syscall!(kevent(self.kq.as_raw_fd(), std::ptr::null(), 0, &mut out, 1, &zero))
                {
                    Ok(_) => return Ok(()),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
}
