//! Converting between Rust's socket addresses and the C `sockaddr` structs.
//!
//! The kernel speaks `struct sockaddr_in` / `sockaddr_in6` / `sockaddr_un`,
//! all passed as a pointer to the generic `struct sockaddr` plus a length.
//! Ports and IPv4 addresses are in network byte order (big-endian); the BSDs
//! and macOS also carry the struct's own length in a leading `sin_len`
//! byte, which Linux does not have.

use std::io;
use std::mem;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// An IP socket address laid out the way the kernel reads it.
///
/// # Invariant
/// The variant that is initialised is the one whose family field matches
/// the address it was built from; the length [`IpSockAddr::new`] returns
/// with it is that variant's size.
#[repr(C)]
pub(crate) union IpSockAddr {
    /// An IPv4 address (`AF_INET`).
    v4: libc::sockaddr_in,
    /// An IPv6 address (`AF_INET6`).
    v6: libc::sockaddr_in6,
}

impl IpSockAddr {
    /// Lays out `addr` for the kernel; returns the struct and its length.
    pub(crate) fn new(addr: &SocketAddr) -> (IpSockAddr, libc::socklen_t) {
        match addr {
            SocketAddr::V4(a) => {
                // SAFETY: `sockaddr_in` is a C struct of integers and byte
                // arrays, for which all zero bytes is a valid value (and the
                // value the kernel expects in its padding).
                let mut sin: libc::sockaddr_in = unsafe { mem::zeroed() };
                sin.sin_family = libc::AF_INET as libc::sa_family_t;
                sin.sin_port = a.port().to_be();
                // `s_addr` is in network order: the octets as they appear.
                sin.sin_addr = libc::in_addr { s_addr: u32::from_ne_bytes(a.ip().octets()) };
                #[cfg(not(any(target_os = "linux", target_os = "android")))]
                {
                    sin.sin_len = mem::size_of::<libc::sockaddr_in>() as u8;
                }
                let len = mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
                (IpSockAddr { v4: sin }, len)
            }
            SocketAddr::V6(a) => {
                // SAFETY: as above, all-zero is a valid `sockaddr_in6`.
                let mut sin6: libc::sockaddr_in6 = unsafe { mem::zeroed() };
                sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sin6.sin6_port = a.port().to_be();
                sin6.sin6_flowinfo = a.flowinfo();
                sin6.sin6_addr = libc::in6_addr { s6_addr: a.ip().octets() };
                sin6.sin6_scope_id = a.scope_id();
                #[cfg(not(any(target_os = "linux", target_os = "android")))]
                {
                    sin6.sin6_len = mem::size_of::<libc::sockaddr_in6>() as u8;
                }
                let len = mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t;
                (IpSockAddr { v6: sin6 }, len)
            }
        }
    }

    /// A pointer to hand the kernel as `const struct sockaddr *`.
    pub(crate) fn as_ptr(&self) -> *const libc::sockaddr {
        (self as *const IpSockAddr).cast()
    }
}

/// Reads the IP address the kernel wrote into `storage`.
///
/// `len` is the length the kernel returned; an address of another family
/// (or a truncated one) is an `InvalidData` error, not a guess.
pub(crate) fn to_socket_addr(
    storage: &libc::sockaddr_storage,
    len: libc::socklen_t,
) -> io::Result<SocketAddr> {
    let len = len as usize;
    match storage.ss_family as libc::c_int {
        libc::AF_INET if len >= mem::size_of::<libc::sockaddr_in>() => {
            // SAFETY: the kernel said the family is AF_INET and wrote at
            // least a whole `sockaddr_in`; `sockaddr_storage` is larger and
            // at least as aligned as every sockaddr type.
            let sin =
                unsafe { &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
            Ok(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(sin.sin_port))))
        }
        libc::AF_INET6 if len >= mem::size_of::<libc::sockaddr_in6>() => {
            // SAFETY: as above, for AF_INET6 and `sockaddr_in6`.
            let sin6 = unsafe {
                &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
            };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Ok(SocketAddr::V6(SocketAddrV6::new(
                ip,
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            )))
        }
        family => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "the kernel returned a socket address of family {family} and length {len}, not IPv4 or IPv6"
            ),
        )),
    }
}

/// Lays out a filesystem path as a Unix-domain socket address.
///
/// Returns the struct and the length to pass: the path's bytes plus the
/// terminating NUL the kernel expects.
///
/// # Errors
///
/// `InvalidInput` when the path contains a NUL byte or does not fit in
/// `sun_path` (108 bytes on Linux, 104 on macOS and the BSDs, NUL included).
pub(crate) fn unix_sockaddr(path: &Path) -> io::Result<(libc::sockaddr_un, libc::socklen_t)> {
    // SAFETY: `sockaddr_un` is a C struct of an integer and a byte array;
    // all-zero is valid, and leaves the path NUL-terminated.
    let mut sun: libc::sockaddr_un = unsafe { mem::zeroed() };
    sun.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let bytes = path.as_os_str().as_bytes();
    if bytes.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a Unix socket path must not contain NUL bytes",
        ));
    }
    if bytes.len() >= sun.sun_path.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "Unix socket path is {} bytes; at most {} fit in sockaddr_un",
                bytes.len(),
                sun.sun_path.len() - 1
            ),
        ));
    }
    for (dst, src) in sun.sun_path.iter_mut().zip(bytes) {
        *dst = *src as libc::c_char;
    }
    let base = mem::offset_of!(libc::sockaddr_un, sun_path);
    let len = base + bytes.len() + 1;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        sun.sun_len = len as u8;
    }
    Ok((sun, len as libc::socklen_t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(addr: SocketAddr) -> SocketAddr {
        let (raw, len) = IpSockAddr::new(&addr);
        // SAFETY: all-zero is a valid `sockaddr_storage`.
        let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
        // SAFETY: `raw` is `len` bytes long and `storage` is larger than
        // any IP sockaddr; the two do not overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(
                raw.as_ptr().cast::<u8>(),
                (&mut storage as *mut libc::sockaddr_storage).cast::<u8>(),
                len as usize,
            )
        };
        to_socket_addr(&storage, len).expect("an IP address")
    }

    #[test]
    fn ip_addresses_round_trip() {
        for a in [
            "127.0.0.1:80",
            "10.1.2.3:65535",
            "0.0.0.0:0",
            "[::1]:8080",
            "[fe80::1%3]:1",
            "[2001:db8::42]:443",
        ] {
            let addr: SocketAddr = a.parse().expect("valid");
            assert_eq!(round_trip(addr), addr, "{a}");
        }
    }

    #[test]
    fn unix_paths_are_checked() {
        assert!(unix_sockaddr(Path::new("/tmp/x.sock")).is_ok());
        let long = "a".repeat(200);
        assert_eq!(
            unix_sockaddr(Path::new(&long)).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        assert_eq!(
            unix_sockaddr(Path::new("a\0b")).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
    }
}
