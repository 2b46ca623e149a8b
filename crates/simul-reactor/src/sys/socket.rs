//! BSD sockets: every socket system call the `net` module makes.
//!
//! Each function takes the descriptor it works on as a `BorrowedFd` (so it
//! cannot outlive its owner) and returns `io::Result`; new descriptors come
//! back as `OwnedFd` straight from the call that made them. `EINTR` is
//! retried here, so the public types never report `Interrupted`;
//! `EAGAIN`/`EWOULDBLOCK` are returned as `WouldBlock` for the caller to
//! wait on.
//!
//! Platform differences handled here, and only here:
//!
//! | what                     | Linux, Android, the BSDs        | macOS, iOS                          |
//! |--------------------------|---------------------------------|-------------------------------------|
//! | non-blocking + cloexec   | `SOCK_NONBLOCK \| SOCK_CLOEXEC` | `socket`, then `fcntl` and `ioctl`  |
//! | accepting                | `accept4` with the same flags   | `accept`, then `fcntl` and `ioctl`  |
//! | no `SIGPIPE` on write    | `MSG_NOSIGNAL` on every send    | `SO_NOSIGPIPE` set at creation      |
//! | linger in seconds        | `SO_LINGER`                     | `SO_LINGER_SEC` (`SO_LINGER` ticks) |
//!
//! On macOS there is a window between `socket` and `fcntl(FD_CLOEXEC)` in
//! which a `fork` on another thread inherits the descriptor across `exec`;
//! the platform offers no atomic way to close it.

use std::io::{self, IoSlice, IoSliceMut};
use std::mem::{self, ManuallyDrop};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::time::Duration;

use super::sockaddr::{IpSockAddr, to_socket_addr, unix_sockaddr};

/// Flags for every `send`/`sendto`/`sendmsg`: `MSG_NOSIGNAL` turns the
/// `SIGPIPE` a write to a closed connection would raise into an `EPIPE`
/// error (see `send(2)`).
#[cfg(not(any(target_os = "macos", target_os = "ios")))]
const SEND_FLAGS: libc::c_int = libc::MSG_NOSIGNAL;
/// macOS has no usable `MSG_NOSIGNAL`; its sockets get `SO_NOSIGPIPE`
/// when created instead (see [`set_nosigpipe`]).
#[cfg(any(target_os = "macos", target_os = "ios"))]
const SEND_FLAGS: libc::c_int = 0;

/// The most buffers one `readv`/`sendmsg` takes: `IOV_MAX` is 1024 on
/// Linux, macOS and the BSDs; more would be `EINVAL`.
const MAX_IOV: usize = 1024;

/// Runs `f` again for as long as it fails with `EINTR`.
///
/// A signal that arrives during a system call makes it fail with `EINTR`
/// having done nothing; the call is simply made again.
pub(crate) fn retry<T>(mut f: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match f() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

/// Wraps a descriptor a system call just returned.
fn own(raw: RawFd) -> OwnedFd {
    // SAFETY: every caller passes a descriptor that the system call it just
    // made returned to us; nothing else has seen it, so we are its only owner.
    unsafe { OwnedFd::from_raw_fd(raw) }
}

/// Opens a non-blocking, close-on-exec socket of `domain` and `ty`
/// (e.g. `AF_INET`, `SOCK_STREAM`).
pub(crate) fn socket(domain: libc::c_int, ty: libc::c_int) -> io::Result<OwnedFd> {
    #[cfg(not(any(target_os = "macos", target_os = "ios")))]
    {
        let raw = syscall!(socket(domain, ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, 0))?;
        Ok(own(raw))
    }
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    {
        use std::os::fd::AsFd;
        let fd = own(syscall!(socket(domain, ty, 0))?);
        set_cloexec(fd.as_fd())?;
        set_nonblocking(fd.as_fd(), true)?;
        set_nosigpipe(fd.as_fd())?;
        Ok(fd)
    }
}

/// A connected pair of non-blocking, close-on-exec sockets.
pub(crate) fn socketpair(domain: libc::c_int, ty: libc::c_int) -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [-1 as RawFd; 2];
    #[cfg(not(any(target_os = "macos", target_os = "ios")))]
    {
        let flags = ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
        // SAFETY: `fds` has room for the two descriptors the call writes.
        syscall!(socketpair(domain, flags, 0, fds.as_mut_ptr()))?;
        Ok((own(fds[0]), own(fds[1])))
    }
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    {
        use std::os::fd::AsFd;
        // SAFETY: `fds` has room for the two descriptors the call writes.
        syscall!(socketpair(domain, ty, 0, fds.as_mut_ptr()))?;
        let pair = (own(fds[0]), own(fds[1]));
        for fd in [pair.0.as_fd(), pair.1.as_fd()] {
            set_cloexec(fd)?;
            set_nonblocking(fd, true)?;
            set_nosigpipe(fd)?;
        }
        Ok(pair)
    }
}

/// Sets or clears `O_NONBLOCK` with one `ioctl(FIONBIO)`.
pub(crate) fn set_nonblocking(fd: BorrowedFd<'_>, nonblocking: bool) -> io::Result<()> {
    let mut on = libc::c_int::from(nonblocking);
    // SAFETY: FIONBIO reads one `int` through the pointer, which is live.
    syscall!(ioctl(fd.as_raw_fd(), libc::FIONBIO, &mut on)).map(drop)
}

/// Sets `FD_CLOEXEC`, the only descriptor flag there is.
#[cfg(any(target_os = "macos", target_os = "ios"))]
pub(crate) fn set_cloexec(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: F_SETFD takes an int argument; `fd` is open.
    syscall!(fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC)).map(drop)
}

/// Makes writes on this socket fail with `EPIPE` instead of raising
/// `SIGPIPE` (macOS has no `MSG_NOSIGNAL`).
#[cfg(any(target_os = "macos", target_os = "ios"))]
pub(crate) fn set_nosigpipe(fd: BorrowedFd<'_>) -> io::Result<()> {
    setsockopt(fd, libc::SOL_SOCKET, libc::SO_NOSIGPIPE, 1 as libc::c_int)
}

/// Prepares a socket made elsewhere (by `std`) for simul: non-blocking,
/// and on macOS without `SIGPIPE`.
pub(crate) fn adopt(fd: BorrowedFd<'_>) -> io::Result<()> {
    set_nonblocking(fd, true)?;
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    set_nosigpipe(fd)?;
    Ok(())
}

/// The address family (`AF_INET` or `AF_INET6`) for `addr`.
pub(crate) fn domain_of(addr: &SocketAddr) -> libc::c_int {
    match addr {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    }
}

/// Binds `fd` to an IP address.
pub(crate) fn bind(fd: BorrowedFd<'_>, addr: &SocketAddr) -> io::Result<()> {
    let (raw, len) = IpSockAddr::new(addr);
    // SAFETY: `raw` is a valid sockaddr of `len` bytes for the whole call.
    syscall!(bind(fd.as_raw_fd(), raw.as_ptr(), len)).map(drop)
}

/// Binds `fd` to a filesystem path.
pub(crate) fn bind_unix(fd: BorrowedFd<'_>, path: &Path) -> io::Result<()> {
    let (sun, len) = unix_sockaddr(path)?;
    let ptr = (&sun as *const libc::sockaddr_un).cast::<libc::sockaddr>();
    // SAFETY: `sun` is a valid sockaddr_un of `len` bytes for the whole call.
    syscall!(bind(fd.as_raw_fd(), ptr, len)).map(drop)
}

/// Marks `fd` as accepting connections, queueing up to `backlog`.
pub(crate) fn listen(fd: BorrowedFd<'_>, backlog: libc::c_int) -> io::Result<()> {
    syscall!(listen(fd.as_raw_fd(), backlog)).map(drop)
}

/// Makes a non-blocking `connect` call until it has started or failed.
///
/// `EINPROGRESS` means the handshake has started and is not an error.
/// After an `EINTR` the call is made again: POSIX lets an interrupted
/// connect carry on asynchronously, and then the second call says
/// `EALREADY` (still going) or `EISCONN` (done), both of which mean
/// "started"; if the first call never reached the kernel, the second one
/// starts the connect for real.
fn connect_started(mut call: impl FnMut() -> io::Result<libc::c_int>) -> io::Result<()> {
    let mut interrupted = false;
    loop {
        match call() {
            Ok(_) => return Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => interrupted = true,
            Err(e)
                if interrupted
                    && matches!(e.raw_os_error(), Some(libc::EALREADY | libc::EISCONN)) =>
            {
                return Ok(());
            }
            Err(e) => return Err(e),
        }
    }
}

/// Starts connecting `fd` to an IP address without waiting.
pub(crate) fn connect(fd: BorrowedFd<'_>, addr: &SocketAddr) -> io::Result<()> {
    let (raw, len) = IpSockAddr::new(addr);
    // SAFETY: `raw` is a valid sockaddr of `len` bytes for the whole call.
    connect_started(|| syscall!(connect(fd.as_raw_fd(), raw.as_ptr(), len)))
}

/// Starts connecting `fd` to a Unix socket path without waiting.
pub(crate) fn connect_unix(fd: BorrowedFd<'_>, path: &Path) -> io::Result<()> {
    let (sun, len) = unix_sockaddr(path)?;
    let ptr = (&sun as *const libc::sockaddr_un).cast::<libc::sockaddr>();
    // SAFETY: `sun` is a valid sockaddr_un of `len` bytes for the whole call.
    connect_started(|| syscall!(connect(fd.as_raw_fd(), ptr, len)))
}

/// Accepts one connection as a non-blocking, close-on-exec socket, and
/// writes the peer's address into `storage`/`len` when they are given.
fn accept_raw(
    fd: BorrowedFd<'_>,
    storage: *mut libc::sockaddr,
    len: *mut libc::socklen_t,
) -> io::Result<OwnedFd> {
    #[cfg(not(any(target_os = "macos", target_os = "ios")))]
    {
        let flags = libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
        // SAFETY: `storage` and `len` are null or point to a live buffer and
        // its length, as the caller promises.
        let raw = retry(|| syscall!(accept4(fd.as_raw_fd(), storage, len, flags)))?;
        Ok(own(raw))
    }
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    {
        use std::os::fd::AsFd;
        // SAFETY: `storage` and `len` are null or point to a live buffer and
        // its length, as the caller promises.
        let new = own(retry(|| syscall!(accept(fd.as_raw_fd(), storage, len)))?);
        set_cloexec(new.as_fd())?;
        set_nonblocking(new.as_fd(), true)?;
        set_nosigpipe(new.as_fd())?;
        Ok(new)
    }
}

/// Accepts one IP connection; returns it and the peer's address.
pub(crate) fn accept(fd: BorrowedFd<'_>) -> io::Result<(OwnedFd, SocketAddr)> {
    // SAFETY: all-zero is a valid `sockaddr_storage`.
    let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
    let mut len = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let ptr = (&mut storage as *mut libc::sockaddr_storage).cast();
    let new = accept_raw(fd, ptr, &mut len)?;
    Ok((new, to_socket_addr(&storage, len)?))
}

/// Accepts one Unix-domain connection (the peer's address is asked for
/// separately, as it is almost always unnamed).
pub(crate) fn accept_unix(fd: BorrowedFd<'_>) -> io::Result<OwnedFd> {
    accept_raw(fd, std::ptr::null_mut(), std::ptr::null_mut())
}

/// The local IP address `fd` is bound to.
pub(crate) fn local_addr(fd: BorrowedFd<'_>) -> io::Result<SocketAddr> {
    // SAFETY: all-zero is a valid `sockaddr_storage`.
    let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
    let mut len = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let ptr = (&mut storage as *mut libc::sockaddr_storage).cast();
    // SAFETY: `ptr` and `len` describe `storage`, live for the call.
    syscall!(getsockname(fd.as_raw_fd(), ptr, &mut len))?;
    to_socket_addr(&storage, len)
}

/// The remote IP address `fd` is connected to; `NotConnected` if none
/// (yet).
pub(crate) fn peer_addr(fd: BorrowedFd<'_>) -> io::Result<SocketAddr> {
    // SAFETY: all-zero is a valid `sockaddr_storage`.
    let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
    let mut len = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let ptr = (&mut storage as *mut libc::sockaddr_storage).cast();
    // SAFETY: `ptr` and `len` describe `storage`, live for the call.
    syscall!(getpeername(fd.as_raw_fd(), ptr, &mut len))?;
    to_socket_addr(&storage, len)
}

/// Runs `f` on a `std` Unix stream that borrows `fd` without owning it,
/// to reuse std's `SocketAddr` type for Unix-domain addresses (std offers
/// no public way to build an unnamed one).
fn with_std_unix<T>(fd: BorrowedFd<'_>, f: impl FnOnce(&std::os::unix::net::UnixStream) -> T) -> T {
    // SAFETY: `fd` is open for the whole borrow, and `ManuallyDrop` keeps
    // the std stream from closing it: the std value is a view, never an owner.
    let view =
        ManuallyDrop::new(unsafe { std::os::unix::net::UnixStream::from_raw_fd(fd.as_raw_fd()) });
    f(&view)
}

/// The local address of a Unix-domain socket.
pub(crate) fn unix_local_addr(fd: BorrowedFd<'_>) -> io::Result<std::os::unix::net::SocketAddr> {
    with_std_unix(fd, |s| s.local_addr())
}

/// The peer address of a connected Unix-domain socket.
pub(crate) fn unix_peer_addr(fd: BorrowedFd<'_>) -> io::Result<std::os::unix::net::SocketAddr> {
    with_std_unix(fd, |s| s.peer_addr())
}

/// Sets a socket option whose value is a plain C value of type `T`.
pub(crate) fn setsockopt<T: Copy>(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    value: T,
) -> io::Result<()> {
    let ptr = (&value as *const T).cast::<libc::c_void>();
    let len = mem::size_of::<T>() as libc::socklen_t;
    // SAFETY: `ptr` points to `len` readable bytes, live for the call.
    syscall!(setsockopt(fd.as_raw_fd(), level, name, ptr, len)).map(drop)
}

/// Reads a socket option whose value is a plain C value of type `T`.
///
/// `T` must be a type for which all-zero bytes is valid (the C integer and
/// struct types options use), since the kernel may write fewer bytes.
pub(crate) fn getsockopt<T: Copy>(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
) -> io::Result<T> {
    // SAFETY: callers only use C integer and struct types for `T`, for
    // which all-zero is a valid value.
    let mut value: T = unsafe { mem::zeroed() };
    let mut len = mem::size_of::<T>() as libc::socklen_t;
    let ptr = (&mut value as *mut T).cast::<libc::c_void>();
    // SAFETY: `ptr` points to `len` writable bytes, live for the call.
    syscall!(getsockopt(fd.as_raw_fd(), level, name, ptr, &mut len))?;
    Ok(value)
}

/// Reads and clears the socket's pending error (`SO_ERROR`).
pub(crate) fn take_error(fd: BorrowedFd<'_>) -> io::Result<Option<io::Error>> {
    let code: libc::c_int = getsockopt(fd, libc::SOL_SOCKET, libc::SO_ERROR)?;
    Ok(if code == 0 { None } else { Some(io::Error::from_raw_os_error(code)) })
}

/// Sets `SO_LINGER`: `None` is the default (close returns at once, the
/// kernel sends what is buffered), `Some(d)` makes close wait up to `d`,
/// and `Some(0)` makes close reset the connection.
pub(crate) fn set_linger(fd: BorrowedFd<'_>, linger: Option<Duration>) -> io::Result<()> {
    let value = libc::linger {
        l_onoff: libc::c_int::from(linger.is_some()),
        l_linger: linger.map_or(0, |d| d.as_secs().min(libc::c_int::MAX as u64) as libc::c_int),
    };
    setsockopt(fd, libc::SOL_SOCKET, LINGER_OPTION, value)
}

/// Reads `SO_LINGER` back.
pub(crate) fn linger(fd: BorrowedFd<'_>) -> io::Result<Option<Duration>> {
    let value: libc::linger = getsockopt(fd, libc::SOL_SOCKET, LINGER_OPTION)?;
    Ok((value.l_onoff != 0).then(|| Duration::from_secs(value.l_linger.max(0) as u64)))
}

/// The linger option that counts in seconds.
#[cfg(not(any(target_os = "macos", target_os = "ios")))]
const LINGER_OPTION: libc::c_int = libc::SO_LINGER;
/// On macOS `SO_LINGER` counts clock ticks; `SO_LINGER_SEC` counts seconds.
#[cfg(any(target_os = "macos", target_os = "ios"))]
const LINGER_OPTION: libc::c_int = libc::SO_LINGER_SEC;

/// Sets an `int` option to `value` (a size, or 0/1 for a flag).
pub(crate) fn set_int_opt(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    value: usize,
) -> io::Result<()> {
    let value = libc::c_int::try_from(value).map_err(|_| {
        io::Error::new(io::ErrorKind::InvalidInput, format!("{value} does not fit in a C int"))
    })?;
    setsockopt(fd, level, name, value)
}

/// Reads an `int` option (a size, or 0/1 for a flag).
pub(crate) fn int_opt(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
) -> io::Result<usize> {
    let value: libc::c_int = getsockopt(fd, level, name)?;
    Ok(value.max(0) as usize)
}

/// Receives into `buf` (`flags` may be `MSG_PEEK`); 0 means end of stream
/// for a stream socket, an empty datagram for a datagram socket.
pub(crate) fn recv(fd: BorrowedFd<'_>, buf: &mut [u8], flags: libc::c_int) -> io::Result<usize> {
    let ptr = buf.as_mut_ptr().cast::<libc::c_void>();
    // SAFETY: `ptr` points to `buf.len()` writable bytes, live for the call.
    retry(|| syscall!(recv(fd.as_raw_fd(), ptr, buf.len(), flags))).map(|n| n as usize)
}

/// Sends from `buf` without ever raising `SIGPIPE`.
pub(crate) fn send(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<usize> {
    let ptr = buf.as_ptr().cast::<libc::c_void>();
    // SAFETY: `ptr` points to `buf.len()` readable bytes, live for the call.
    retry(|| syscall!(send(fd.as_raw_fd(), ptr, buf.len(), SEND_FLAGS))).map(|n| n as usize)
}

/// Receives one datagram and the address it came from.
pub(crate) fn recv_from(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    flags: libc::c_int,
) -> io::Result<(usize, SocketAddr)> {
    // SAFETY: all-zero is a valid `sockaddr_storage`.
    let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
    let mut len = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let addr = (&mut storage as *mut libc::sockaddr_storage).cast::<libc::sockaddr>();
    let ptr = buf.as_mut_ptr().cast::<libc::c_void>();
    let n = retry(|| {
        len = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        // SAFETY: `ptr` points to `buf.len()` writable bytes and `addr`/`len`
        // describe `storage`; all are live for the call.
        syscall!(recvfrom(fd.as_raw_fd(), ptr, buf.len(), flags, addr, &mut len))
    })?;
    Ok((n as usize, to_socket_addr(&storage, len)?))
}

/// Sends one datagram to `target`.
pub(crate) fn send_to(fd: BorrowedFd<'_>, buf: &[u8], target: &SocketAddr) -> io::Result<usize> {
    let (raw, len) = IpSockAddr::new(target);
    let ptr = buf.as_ptr().cast::<libc::c_void>();
    // SAFETY: `ptr` points to `buf.len()` readable bytes and `raw` is a
    // valid sockaddr of `len` bytes; both live for the call.
    retry(|| syscall!(sendto(fd.as_raw_fd(), ptr, buf.len(), SEND_FLAGS, raw.as_ptr(), len)))
        .map(|n| n as usize)
}

/// Scatter read into several buffers with one `readv`.
pub(crate) fn readv(fd: BorrowedFd<'_>, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
    // `IoSliceMut` is guaranteed ABI-compatible with `struct iovec`.
    let iov = bufs.as_mut_ptr().cast::<libc::iovec>();
    let count = bufs.len().min(MAX_IOV) as libc::c_int;
    // SAFETY: `iov` points to `count` iovecs, each describing a live,
    // writable buffer borrowed for the call.
    retry(|| syscall!(readv(fd.as_raw_fd(), iov, count))).map(|n| n as usize)
}

/// Gather write from several buffers with one `sendmsg` (not `writev`,
/// which cannot take `MSG_NOSIGNAL`).
pub(crate) fn sendmsg(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    // SAFETY: `msghdr` is a C struct of pointers and integers; all-zero is
    // valid (no name, no control data) and its padding differs by platform.
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    // `IoSlice` is guaranteed ABI-compatible with `struct iovec`; sendmsg
    // only reads through the pointer despite its `*mut` type.
    msg.msg_iov = bufs.as_ptr().cast::<libc::iovec>().cast_mut();
    // The field is `size_t` on Linux/glibc and `int` on macOS and the BSDs.
    msg.msg_iovlen = bufs.len().min(MAX_IOV) as _;
    // SAFETY: `msg` describes only the live buffers of `bufs`.
    retry(|| syscall!(sendmsg(fd.as_raw_fd(), &msg, SEND_FLAGS))).map(|n| n as usize)
}

/// Shuts down one or both directions of a connection.
pub(crate) fn shutdown(fd: BorrowedFd<'_>, how: Shutdown) -> io::Result<()> {
    let how = match how {
        Shutdown::Read => libc::SHUT_RD,
        Shutdown::Write => libc::SHUT_WR,
        Shutdown::Both => libc::SHUT_RDWR,
    };
    syscall!(shutdown(fd.as_raw_fd(), how)).map(drop)
}

/// Reads from any descriptor (used for pipes).
pub(crate) fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    // A read larger than `isize::MAX` is `EINVAL` on some systems.
    let len = buf.len().min(isize::MAX as usize);
    let ptr = buf.as_mut_ptr().cast::<libc::c_void>();
    // SAFETY: `ptr` points to `len` writable bytes, live for the call.
    retry(|| syscall!(read(fd.as_raw_fd(), ptr, len))).map(|n| n as usize)
}

/// Writes to any descriptor (used for pipes).
pub(crate) fn write(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<usize> {
    let len = buf.len().min(isize::MAX as usize);
    let ptr = buf.as_ptr().cast::<libc::c_void>();
    // SAFETY: `ptr` points to `len` readable bytes, live for the call.
    retry(|| syscall!(write(fd.as_raw_fd(), ptr, len))).map(|n| n as usize)
}
