//! [`Interest`]: which readiness a registration asks for.

use std::fmt;
use std::ops::BitOr;

/// Which readiness a registration asks for: readable, writable, or both.
///
/// An empty interest cannot be built, so every registration asks for
/// something. Combine with `|`.
///
/// # Examples
///
/// ```
/// use simul_reactor::Interest;
///
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable());
/// assert_eq!(both, Interest::BOTH);
/// assert!(!Interest::READABLE.is_writable());
/// ```
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
pub struct Interest(u8);

const READ: u8 = 0b01;
const WRITE: u8 = 0b10;

impl Interest {
    /// Readable: data to read, a connection to accept, or end-of-file.
    pub const READABLE: Interest = Interest(READ);
    /// Writable: room in the send buffer, or a connect that finished.
    pub const WRITABLE: Interest = Interest(WRITE);
    /// Readable and writable.
    pub const BOTH: Interest = Interest(READ | WRITE);

    /// Whether readable events are asked for.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(simul_reactor::Interest::BOTH.is_readable());
    /// ```
    pub const fn is_readable(self) -> bool {
        self.0 & READ != 0
    }

    /// Whether writable events are asked for.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(simul_reactor::Interest::WRITABLE.is_writable());
    /// ```
    pub const fn is_writable(self) -> bool {
        self.0 & WRITE != 0
    }

    /// `self` without `other`, or `None` if nothing would be left.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::Interest;
    /// assert_eq!(Interest::BOTH.remove(Interest::READABLE), Some(Interest::WRITABLE));
    /// assert_eq!(Interest::READABLE.remove(Interest::READABLE), None);
    /// ```
    pub const fn remove(self, other: Interest) -> Option<Interest> {
        let left = self.0 & !other.0;
        if left == 0 { None } else { Some(Interest(left)) }
    }
}

impl BitOr for Interest {
    type Output = Interest;
    fn bitor(self, rhs: Interest) -> Interest {
        Interest(self.0 | rhs.0)
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.is_readable(), self.is_writable()) {
            (true, true) => f.write_str("READABLE | WRITABLE"),
            (true, false) => f.write_str("READABLE"),
            _ => f.write_str("WRITABLE"),
        }
    }
}
