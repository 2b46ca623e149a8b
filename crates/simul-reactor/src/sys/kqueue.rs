//! The macOS and BSD backend: one `kqueue`, edge-triggered.
//!
//! **What kqueue is.** A kqueue is a kernel queue of *knotes*. A knote is
//! keyed by `(ident, filter)`: for descriptors `ident` is the descriptor
//! number and the *filter* says what to watch. One `kevent(2)` call both
//! submits changes (add, modify, delete knotes) and collects the events of
//! knotes that fired. See `kqueue(2)` on FreeBSD or macOS.
//!
//! **Filters and [`Interest`].** epoll watches one descriptor for a set of
//! conditions; kqueue gives each condition its own knote:
//!
//! | `Interest`  | knotes                          |
//! | ----------- | ------------------------------- |
//! | `READABLE`  | `(fd, EVFILT_READ)`             |
//! | `WRITABLE`  | `(fd, EVFILT_WRITE)`            |
//! | `BOTH`      | both, each reported on its own  |
//!
//! So a descriptor that becomes readable and writable at once comes back as
//! two events with the same token (the [`Event`](crate::Event) docs say so
//! to callers). The token travels in the knote's `udata` field.
//!
//! **Edge triggering.** Every knote is added with `EV_CLEAR`: once an event
//! is returned, the knote's state resets, and it fires again only when the
//! condition is met anew (more data arrives, buffer room frees up). That is
//! the same contract as `EPOLLET` on Linux, and callers follow the same
//! rule: read or write until `WouldBlock` before waiting again.
//!
//! **Errors per change.** A `kevent` call carrying several changes cannot
//! say through its return value which one failed. Every change here carries
//! `EV_RECEIPT`: the kernel then writes one receipt per change into the
//! event list (flag `EV_ERROR`, the errno in `data`, `0` for success) and
//! returns without collecting any readiness events, so no event can be
//! swallowed by a registration call.
//!
//! **Platforms, honestly.** This file is compiled in CI for
//! `x86_64-unknown-freebsd` and `aarch64-apple-darwin` (`cargo check` and
//! `cargo clippy`), but it is *not executed* there: the project has no BSD
//! or macOS machine. Everything below follows the FreeBSD and macOS man
//! pages and the behaviour mio relies on; it has not been run. NetBSD,
//! OpenBSD and DragonFly are selected by `cfg` and written to their libc
//! declarations but are not even compiled in CI.

use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::{Interest, Token};

#[cfg(any(target_os = "netbsd", target_os = "openbsd"))]
pub(crate) use super::pipe_waker::Waker;

/// One entry filled in by `kevent`.
pub(crate) type RawEvent = libc::kevent;

/// The type of `kevent`'s `nchanges` and `nevents` arguments.
#[cfg(not(target_os = "netbsd"))]
type Count = libc::c_int;
/// The type of `kevent`'s `nchanges` and `nevents` arguments.
#[cfg(target_os = "netbsd")]
type Count = libc::size_t;

/// The type of `kevent::filter` (and of the `EVFILT_*` constants).
#[cfg(not(target_os = "netbsd"))]
type Filter = i16;
/// The type of `kevent::filter` (and of the `EVFILT_*` constants).
#[cfg(target_os = "netbsd")]
type Filter = u32;

/// The type of `kevent::flags` (and of the `EV_*` constants).
#[cfg(not(target_os = "netbsd"))]
type Flags = u16;
/// The type of `kevent::flags` (and of the `EV_*` constants).
#[cfg(target_os = "netbsd")]
type Flags = u32;

/// The longest wait handed to the kernel, in seconds.
///
/// macOS rejects a `kevent` timeout above 10^8 seconds (about three years)
/// with `EINVAL`, undocumented (swift-nio #1642, netty #13503 found it).
/// Longer waits are clamped; the reactor waits again when it wakes before
/// its deadline with nothing to report, so nothing is lost.
const MAX_WAIT_SECS: u64 = 100_000_000;

/// The most changes one registration call submits: one per filter.
const MAX_CHANGES: usize = 2;

/// The filters a registration can hold, in a fixed order.
const FILTERS: [Filter; 2] = [libc::EVFILT_READ, libc::EVFILT_WRITE];

/// Which of a descriptor's two knotes exist (or are wanted).
///
/// Unlike [`Interest`] this can be empty: a write-only registration of a
/// pipe whose reader is gone leaves no knote at all (see
/// [`Selector::register`]).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
struct Filters {
    /// `EVFILT_READ`.
    read: bool,
    /// `EVFILT_WRITE`.
    write: bool,
}

impl Filters {
    fn of(interest: Interest) -> Filters {
        Filters { read: interest.is_readable(), write: interest.is_writable() }
    }

    fn has(self, filter: Filter) -> bool {
        if filter == libc::EVFILT_READ { self.read } else { self.write }
    }

    fn set(&mut self, filter: Filter, present: bool) {
        if filter == libc::EVFILT_READ {
            self.read = present;
        } else {
            self.write = present;
        }
    }

    fn is_empty(self) -> bool {
        !self.read && !self.write
    }

    fn iter(self) -> impl Iterator<Item = Filter> {
        FILTERS.into_iter().filter(move |&f| self.has(f))
    }
}

/// What the selector believes the kernel holds for one descriptor.
#[derive(Copy, Clone, Debug)]
struct Registration {
    /// The token in the knotes' `udata`.
    token: Token,
    /// The knotes the kernel accepted.
    filters: Filters,
}

/// A kqueue instance, plus the registry that lets it refuse a second
/// registration.
///
/// # Why a registry
///
/// epoll refuses a second `EPOLL_CTL_ADD` of a descriptor with `EEXIST`.
/// kqueue's `EV_ADD` on an existing knote silently *modifies* it, so the
/// kernel alone cannot say "already registered". The selector therefore
/// remembers, per descriptor number, the token and the knotes the kernel
/// accepted, and every change to the kernel happens under the registry's
/// lock, so the two move together.
///
/// The registry can go stale in one way: kqueue drops a descriptor's
/// knotes when that descriptor *number* is closed (even if a duplicate
/// stays open), so a caller that closes without deregistering leaves an
/// entry behind, and the number may be reused for a new file. Rather than
/// trust the entry, a registration that finds one asks the kernel: it
/// re-submits the recorded knotes *without* `EV_ADD`, with the recorded
/// token. That is a "modify if present" (FreeBSD's `kqueue(2)` lists
/// `ENOENT` for "the event could not be found to be modified or
/// deleted"): `ENOENT` (or `EBADF`) for every recorded knote means the
/// entry was stale, so it is dropped and the new registration proceeds;
/// otherwise the answer is `EEXIST`. The trade-offs:
///
/// * The check costs one extra `kevent` call, only when the registry has
///   an entry (a real double registration, or a stale entry).
/// * The modify writes back exactly what was registered, so the
///   registration is unchanged, but the kernel re-evaluates the knote: a
///   descriptor that is ready now may be reported once more by the next
///   wait. Under edge triggering a spurious event is harmless (the owner
///   reads, gets `WouldBlock`, and waits).
/// * An entry with no knote at all (the `EPIPE` case in `register`) cannot
///   be checked; it counts as registered until deregistered.
///
/// `reregister` and `deregister` use the same answers (`ENOENT`/`EBADF`
/// for every recorded knote means stale) to return `NotFound` and drop the
/// entry instead of touching a file that was never registered.
///
/// # Invariant
/// `kq` is a kqueue descriptor with close-on-exec set, owned by this value
/// alone (the [`Waker`] holds its own duplicate). For every descriptor
/// number, the kernel holds `EVFILT_READ`/`EVFILT_WRITE` knotes in this
/// kqueue only if `registered` has an entry for it, and then only the
/// knotes the entry lists, unless the number has been closed since.
#[derive(Debug)]
pub(crate) struct Selector {
    /// The kqueue descriptor.
    kq: OwnedFd,
    /// Descriptor number -> what the kernel holds for it.
    registered: Mutex<HashMap<RawFd, Registration>>,
}

impl Selector {
    /// Opens a new kqueue, close-on-exec.
    pub(crate) fn new() -> io::Result<Selector> {
        Ok(Selector { kq: new_kqueue()?, registered: Mutex::new(HashMap::new()) })
    }

    /// The kqueue descriptor itself, so registration can refuse it.
    pub(crate) fn raw_fd(&self) -> RawFd {
        self.kq.as_raw_fd()
    }

    /// Adds `fd` with `interest`. A second registration of the same
    /// descriptor gives `EEXIST` (see [`Selector`] for how that is known).
    ///
    /// A write filter refused with `EPIPE` is not an error: older macOS
    /// (10.10, 10.11) refuses `EVFILT_WRITE` on a pipe whose reading end is
    /// already closed, yet the read filter still reports the hang-up; mio
    /// found this (tokio-rs/mio#582) and ignores it the same way. No write
    /// knote exists then, and the registry says so.
    ///
    /// If one filter is accepted and the other refused, the accepted one is
    /// deleted again before the error is returned: a failed registration
    /// leaves nothing behind.
    pub(crate) fn register(&self, fd: RawFd, token: Token, interest: Interest) -> io::Result<()> {
        let mut registered = self.lock();
        if let Some(old) = registered.get(&fd).copied() {
            if self.still_registered(fd, old)? {
                return Err(io::Error::from_raw_os_error(libc::EEXIST));
            }
            registered.remove(&fd);
        }
        let filters = self.add(fd, token, Filters::of(interest))?;
        registered.insert(fd, Registration { token, filters });
        Ok(())
    }

    /// Replaces the token and interest of a registered `fd`, adding or
    /// deleting a filter as needed; `ENOENT` if `fd` is not registered.
    ///
    /// Filters kept are modified (submitted without `EV_ADD`), which
    /// re-arms them like `EPOLL_CTL_MOD` does: a descriptor ready now is
    /// reported by the next wait. A dropped filter is deleted.
    ///
    /// If the kernel refuses part of the change, the error is returned and
    /// the registry records what the kernel did accept; unlike epoll's
    /// single `EPOLL_CTL_MOD` this is not atomic. The kernel refuses a
    /// modification of an existing knote only for invalid arguments, which
    /// this file never passes.
    pub(crate) fn reregister(&self, fd: RawFd, token: Token, interest: Interest) -> io::Result<()> {
        let mut registered = self.lock();
        let Some(old) = registered.get(&fd).copied() else {
            return Err(io::Error::from_raw_os_error(libc::ENOENT));
        };
        let want = Filters::of(interest);
        let mut batch = Batch::new();
        for filter in FILTERS {
            match (want.has(filter), old.filters.has(filter)) {
                (true, true) => batch.push(fd, filter, libc::EV_CLEAR, token, Op::Modify),
                (true, false) => {
                    batch.push(fd, filter, libc::EV_ADD | libc::EV_CLEAR, token, Op::Add)
                }
                (false, true) => batch.push(fd, filter, libc::EV_DELETE, token, Op::Delete),
                (false, false) => {}
            }
        }
        let verdicts = submit(self.kq.as_raw_fd(), batch.changes())?;

        // Every recorded knote missing: the descriptor was closed since it
        // was registered. Undo whatever the batch added to the file that
        // now has this number, and report it as never registered.
        let stale = !old.filters.is_empty()
            && batch
                .results(&verdicts)
                .filter(|&(_, op, _)| op != Op::Add)
                .all(|(_, _, v)| is_gone(v));
        if stale {
            let mut added = Filters::default();
            for (filter, op, v) in batch.results(&verdicts) {
                if op == Op::Add && v == 0 {
                    added.set(filter, true);
                }
            }
            // Best effort: the knotes just added are ours, so deleting
            // them can only fail if the descriptor vanished meanwhile.
            let _ = self.delete(fd, added);
            registered.remove(&fd);
            return Err(io::Error::from_raw_os_error(libc::ENOENT));
        }

        let mut now = old.filters;
        let mut first_error = None;
        for (filter, op, v) in batch.results(&verdicts) {
            match op {
                Op::Modify if v != 0 => {
                    now.set(filter, !is_gone(v));
                    first_error.get_or_insert(v);
                }
                Op::Modify => {}
                Op::Add if v == 0 => now.set(filter, true),
                Op::Add if is_ignored_epipe(filter, v) => {}
                Op::Add => {
                    first_error.get_or_insert(v);
                }
                Op::Delete if v == 0 || is_gone(v) => now.set(filter, false),
                Op::Delete => {
                    first_error.get_or_insert(v);
                }
            }
        }
        registered.insert(fd, Registration { token, filters: now });
        match first_error {
            Some(errno) => Err(io::Error::from_raw_os_error(errno)),
            None => Ok(()),
        }
    }

    /// Removes `fd`; an unknown descriptor gives `ENOENT`.
    ///
    /// A stale entry (the descriptor was closed without deregistering)
    /// gives what the kernel says for its knotes: `EBADF` if the number is
    /// closed, `ENOENT` if it was reused; either way the entry is dropped.
    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        let mut registered = self.lock();
        let Some(old) = registered.get(&fd).copied() else {
            return Err(io::Error::from_raw_os_error(libc::ENOENT));
        };
        let verdicts = self.delete(fd, old.filters)?;
        registered.remove(&fd);
        let results = || old.filters.iter().zip(verdicts);

        // A knote the kernel refused to delete for another reason is
        // still there: keep it on record.
        let mut left = Filters::default();
        let mut refused = None;
        for (filter, v) in results() {
            if v != 0 && !is_gone(v) {
                left.set(filter, true);
                refused.get_or_insert(v);
            }
        }
        if let Some(errno) = refused {
            registered.insert(fd, Registration { token: old.token, filters: left });
            return Err(io::Error::from_raw_os_error(errno));
        }
        match results().map(|(_, v)| v).find(|&v| v != 0) {
            // Not one knote was there: report why (stale entry).
            Some(errno) if results().all(|(_, v)| v != 0) => {
                Err(io::Error::from_raw_os_error(errno))
            }
            _ => Ok(()),
        }
    }

    /// Waits for events, at most `timeout` (`None`: until one arrives).
    ///
    /// Fills `events` (up to its capacity) and returns; an `EINTR` is
    /// returned to the caller, which owns the retry policy because it
    /// knows the deadline. The timeout is a `timespec`: nanosecond
    /// precision, clamped to [`MAX_WAIT_SECS`].
    pub(crate) fn select(
        &self,
        events: &mut Vec<RawEvent>,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        events.clear();
        let cap = events.capacity().min(libc::c_int::MAX as usize) as Count;
        let ts = timeout.map(|t| libc::timespec {
            tv_sec: t.as_secs().min(MAX_WAIT_SECS) as libc::time_t,
            tv_nsec: t.subsec_nanos() as libc::c_long,
        });
        let ts_ptr = ts.as_ref().map_or(ptr::null(), |ts| ts as *const libc::timespec);
        // SAFETY: no changes are passed (null list, count 0); `events` has
        // room for `cap` entries; `ts_ptr` is null or points at `ts`, which
        // outlives the call.
        let n = syscall!(kevent(
            self.kq.as_raw_fd(),
            ptr::null(),
            0,
            events.as_mut_ptr(),
            cap,
            ts_ptr
        ))?;
        // SAFETY: the kernel initialised the first `n` entries, and
        // `n <= cap <= capacity`.
        unsafe { events.set_len(n as usize) };
        Ok(())
    }

    /// Asks the kernel whether the knotes of `old` still exist, without
    /// changing them (see [`Selector`], "Why a registry").
    fn still_registered(&self, fd: RawFd, old: Registration) -> io::Result<bool> {
        if old.filters.is_empty() {
            return Ok(true);
        }
        let mut batch = Batch::new();
        for filter in old.filters.iter() {
            batch.push(fd, filter, libc::EV_CLEAR, old.token, Op::Modify);
        }
        let verdicts = submit(self.kq.as_raw_fd(), batch.changes())?;
        Ok(!batch.results(&verdicts).all(|(_, _, v)| is_gone(v)))
    }

    /// Adds the knotes of `want`, all or none (up to the ignored `EPIPE`),
    /// and returns the ones the kernel holds.
    fn add(&self, fd: RawFd, token: Token, want: Filters) -> io::Result<Filters> {
        let mut batch = Batch::new();
        for filter in want.iter() {
            batch.push(fd, filter, libc::EV_ADD | libc::EV_CLEAR, token, Op::Add);
        }
        let verdicts = submit(self.kq.as_raw_fd(), batch.changes())?;
        let mut added = Filters::default();
        let mut first_error = None;
        for (filter, _, v) in batch.results(&verdicts) {
            if v == 0 {
                added.set(filter, true);
            } else if !is_ignored_epipe(filter, v) {
                first_error.get_or_insert(v);
            }
        }
        if let Some(errno) = first_error {
            // Best effort: these knotes were added a moment ago under our
            // lock; deleting them fails only if `fd` was closed meanwhile,
            // which drops them anyway.
            let _ = self.delete(fd, added);
            return Err(io::Error::from_raw_os_error(errno));
        }
        Ok(added)
    }

    /// Deletes the knotes of `filters`; one verdict per filter, in
    /// [`Filters::iter`] order.
    fn delete(&self, fd: RawFd, filters: Filters) -> io::Result<Verdicts> {
        if filters.is_empty() {
            return Ok([0; MAX_CHANGES]);
        }
        let mut batch = Batch::new();
        for filter in filters.iter() {
            batch.push(fd, filter, libc::EV_DELETE, Token(0), Op::Delete);
        }
        submit(self.kq.as_raw_fd(), batch.changes())
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<RawFd, Registration>> {
        // A panic while the lock was held (only an allocation failure in
        // the map could cause one) leaves the map itself consistent.
        self.registered.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Opens a kqueue with close-on-exec set.
///
/// A kqueue is not inherited across `fork` on FreeBSD or macOS, but the
/// descriptor number would still survive an `exec` in the same process,
/// so close-on-exec is set. NetBSD has `kqueue1(O_CLOEXEC)`, atomic. libc
/// does not (yet) declare FreeBSD's `kqueuex(KQUEUE_CLOEXEC)` nor
/// OpenBSD's `kqueue1`, so elsewhere `fcntl` follows; the window between
/// the two calls only matters to a concurrent `fork` + `exec`, and the
/// forked child has no kqueue to leak.
#[cfg(target_os = "netbsd")]
fn new_kqueue() -> io::Result<OwnedFd> {
    let fd = syscall!(kqueue1(libc::O_CLOEXEC))?;
    // SAFETY: `kqueue1` just returned this descriptor; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Opens a kqueue with close-on-exec set (see the NetBSD version).
#[cfg(not(target_os = "netbsd"))]
fn new_kqueue() -> io::Result<OwnedFd> {
    use std::os::fd::AsFd;
    let fd = syscall!(kqueue())?;
    // SAFETY: `kqueue` just returned this descriptor; nothing else owns it.
    let kq = unsafe { OwnedFd::from_raw_fd(fd) };
    super::fd::set_cloexec(kq.as_fd())?;
    Ok(kq)
}

/// What one change asks of a knote.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Op {
    /// `EV_ADD`: create, or modify if present.
    Add,
    /// No `EV_ADD`: modify if present, `ENOENT` otherwise.
    Modify,
    /// `EV_DELETE`.
    Delete,
}

/// Up to [`MAX_CHANGES`] changes for one `kevent` call.
struct Batch {
    /// The changes; the first `len` are filled in.
    changes: [libc::kevent; MAX_CHANGES],
    /// What each change asks for.
    ops: [Op; MAX_CHANGES],
    /// How many changes are filled in.
    len: usize,
}

impl Batch {
    fn new() -> Batch {
        Batch { changes: [empty_kevent(); MAX_CHANGES], ops: [Op::Add; MAX_CHANGES], len: 0 }
    }

    /// Appends a change. Callers push at most one change per filter, so
    /// the batch never overflows; a further push would be dropped.
    fn push(&mut self, fd: RawFd, filter: Filter, flags: Flags, token: Token, op: Op) {
        if self.len < MAX_CHANGES {
            self.changes[self.len] = knote_change(fd as libc::uintptr_t, filter, flags, token);
            self.ops[self.len] = op;
            self.len += 1;
        }
    }

    fn changes(&self) -> &[libc::kevent] {
        &self.changes[..self.len]
    }

    /// `(filter, op, errno)` per change, `errno` being `0` for accepted.
    fn results<'a>(
        &'a self,
        verdicts: &'a Verdicts,
    ) -> impl Iterator<Item = (Filter, Op, i32)> + 'a {
        self.changes().iter().zip(self.ops).zip(verdicts).map(|((c, op), &v)| (c.filter, op, v))
    }
}

/// The kernel's answer per change of one [`submit`], in the order of the
/// changes: `0` for accepted, otherwise the errno.
type Verdicts = [i32; MAX_CHANGES];

/// A zeroed `kevent`, the starting point of every change and receipt.
fn empty_kevent() -> libc::kevent {
    // SAFETY: `kevent` is plain data (integers and a pointer-sized
    // `udata`); all-zero bytes are a valid value for every field.
    unsafe { std::mem::zeroed() }
}

/// A change for knote `(ident, filter)`, carrying `token` in `udata`.
fn knote_change(
    ident: libc::uintptr_t,
    filter: Filter,
    flags: Flags,
    token: Token,
) -> libc::kevent {
    let mut kev = empty_kevent();
    kev.ident = ident;
    kev.filter = filter;
    kev.flags = flags;
    // `udata` is `*mut c_void` in current libc on every kqueue platform,
    // but was `intptr_t` on NetBSD in older libc releases: the inferred
    // cast fits both. The kernel never dereferences it.
    kev.udata = token.0 as _;
    kev
}

/// Submits `changes` (at most [`MAX_CHANGES`]) in one `kevent` call with
/// `EV_RECEIPT` on each, and returns the kernel's verdict per change.
///
/// The receipt list has exactly as many slots as there are changes, and
/// each change fills one, so the call never collects readiness events (it
/// could otherwise swallow events meant for [`Selector::select`]). The
/// zero timeout makes doubly sure it never sleeps.
fn submit(kq: RawFd, changes: &[libc::kevent]) -> io::Result<Verdicts> {
    let n = changes.len().min(MAX_CHANGES);
    let mut list = [empty_kevent(); MAX_CHANGES];
    for (slot, change) in list.iter_mut().zip(changes) {
        *slot = *change;
        slot.flags |= libc::EV_RECEIPT;
    }
    let mut receipts = [empty_kevent(); MAX_CHANGES];
    let zero = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `list` holds `n` initialised changes, `receipts` has room
    // for `n` entries, and `zero` outlives the call.
    let got = match syscall!(kevent(
        kq,
        list.as_ptr(),
        n as Count,
        receipts.as_mut_ptr(),
        n as Count,
        &zero
    )) {
        Ok(got) => got as usize,
        // FreeBSD's kevent(2): "When kevent() call fails with EINTR error,
        // all changes in the changelist have been applied." With a zero
        // timeout nothing sleeps, so this is not expected at all.
        Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok([0; MAX_CHANGES]),
        Err(e) => return Err(e),
    };
    let mut verdicts = [0; MAX_CHANGES];
    let mut answered = [false; MAX_CHANGES];
    // Receipts come in the order of the changes; matching on the knote's
    // key instead does not depend on that.
    for receipt in &receipts[..got.min(n)] {
        let slot =
            list[..n].iter().position(|c| c.filter == receipt.filter && c.ident == receipt.ident);
        if let Some(i) = slot {
            answered[i] = true;
            if receipt.flags & libc::EV_ERROR != 0 {
                verdicts[i] = receipt.data as i32;
            }
        }
    }
    if answered[..n].iter().all(|&a| a) {
        Ok(verdicts)
    } else {
        Err(io::Error::other("kevent returned no receipt for a change submitted with EV_RECEIPT"))
    }
}

/// `ENOENT` (no such knote) or `EBADF` (no such descriptor): the knote is
/// not there.
fn is_gone(errno: i32) -> bool {
    errno == libc::ENOENT || errno == libc::EBADF
}

/// The `EPIPE` older macOS gives for a write filter on a widowed pipe
/// (see [`Selector::register`]).
fn is_ignored_epipe(filter: Filter, errno: i32) -> bool {
    filter == libc::EVFILT_WRITE && errno == libc::EPIPE
}

// SAFETY: `Events` holds `kevent`s, which are `!Send` and `!Sync` only
// because `udata` is declared a pointer. This crate stores an integer
// token there and never dereferences it; every other field is an integer.
// Sending or sharing the records is sending or sharing integers.
unsafe impl Send for crate::Events {}
// SAFETY: as for `Send` above; `&Events` only reads the records.
unsafe impl Sync for crate::Events {}

/// Reading one `RawEvent`, the same functions on every backend.
pub(crate) mod event {
    use super::RawEvent;
    use crate::Token;

    pub(crate) fn token(ev: &RawEvent) -> Token {
        // The inverse of `knote_change`'s cast, for either type of `udata`.
        Token(ev.udata as usize)
    }
    pub(crate) fn is_readable(ev: &RawEvent) -> bool {
        ev.filter == libc::EVFILT_READ
    }
    pub(crate) fn is_writable(ev: &RawEvent) -> bool {
        ev.filter == libc::EVFILT_WRITE
    }
    /// `EV_ERROR` in a returned event, or end-of-file with an error code:
    /// for sockets the kernel sets `EV_EOF` and puts the socket error in
    /// `fflags` (see `kqueue(2)`, `EVFILT_READ`).
    pub(crate) fn is_error(ev: &RawEvent) -> bool {
        let flags = ev.flags;
        flags & libc::EV_ERROR != 0 || (flags & libc::EV_EOF != 0 && ev.fflags != 0)
    }
    /// End-of-file on the read filter: the peer shut down its writing side
    /// (or the connection is gone); reads reach EOF once buffered data is
    /// consumed.
    pub(crate) fn is_read_closed(ev: &RawEvent) -> bool {
        ev.filter == libc::EVFILT_READ && ev.flags & libc::EV_EOF != 0
    }
    /// End-of-file on the write filter: the reader is gone and writes can
    /// no longer succeed.
    pub(crate) fn is_write_closed(ev: &RawEvent) -> bool {
        ev.filter == libc::EVFILT_WRITE && ev.flags & libc::EV_EOF != 0
    }
    /// Never: `EVFILT_READ` does not say whether TCP urgent data is
    /// pending (FreeBSD's `soreceive` stops short at the out-of-band mark
    /// with data queued behind it), and this backend is compiled, not run,
    /// in CI. Readers here always read until `WouldBlock`.
    pub(crate) fn short_read_drains(_: &RawEvent) -> bool {
        false
    }
}

/// The notifier on kqueue: a user event (`EVFILT_USER`), no descriptor.
///
/// `new` adds knote `(WAKER_IDENT, EVFILT_USER)` with `EV_CLEAR`; `wake`
/// triggers it (`NOTE_TRIGGER`), which makes a blocked `kevent` return it;
/// `EV_CLEAR` resets it as it is returned, so `reset` has nothing to do,
/// and many triggers before one wait are one event.
///
/// The waker holds its own duplicate of the kqueue descriptor. A
/// [`Notifier`](crate::Notifier) may outlive its reactor; if the waker kept
/// the reactor's descriptor *number*, a wake after the reactor closed it
/// could trigger a knote in whatever file reused the number. With a
/// duplicate, the kqueue stays open until the last notifier is dropped
/// (with the knotes still in it, a little kernel memory) and a late wake
/// triggers an event nobody waits for: harmless.
///
/// # Invariant
/// `kq` is a close-on-exec duplicate of a selector's kqueue descriptor,
/// owned by this value, and knote `(WAKER_IDENT, EVFILT_USER)` with `udata`
/// = `token` exists in that kqueue.
#[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd", target_os = "dragonfly"))]
#[derive(Debug)]
pub(crate) struct Waker {
    /// Our duplicate of the kqueue descriptor.
    kq: OwnedFd,
    /// Carried in `udata` of every change, since a change rewrites it.
    token: Token,
}

/// The ident of the waker's user event. `EVFILT_USER` idents are their own
/// namespace, so this cannot collide with descriptor 0's knotes.
#[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd", target_os = "dragonfly"))]
const WAKER_IDENT: libc::uintptr_t = 0;

#[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd", target_os = "dragonfly"))]
impl Waker {
    /// Duplicates the selector's kqueue and adds the user event to it.
    pub(crate) fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        // `try_clone` duplicates with F_DUPFD_CLOEXEC.
        let kq = selector.kq.try_clone()?;
        let waker = Waker { kq, token };
        waker.change(libc::EV_ADD | libc::EV_CLEAR, 0)?;
        Ok(waker)
    }

    /// Makes the next (or current) wait of the selector return.
    pub(crate) fn wake(&self) -> io::Result<()> {
        self.change(0, libc::NOTE_TRIGGER)
    }

    /// Nothing to drain: `EV_CLEAR` reset the user event when the wait
    /// returned it.
    pub(crate) fn reset(&self) -> io::Result<()> {
        Ok(())
    }

    fn change(&self, flags: Flags, fflags: u32) -> io::Result<()> {
        let mut kev = knote_change(WAKER_IDENT, libc::EVFILT_USER, flags, self.token);
        kev.fflags = fflags;
        match submit(self.kq.as_raw_fd(), &[kev])?[0] {
            0 => Ok(()),
            errno => Err(io::Error::from_raw_os_error(errno)),
        }
    }
}
