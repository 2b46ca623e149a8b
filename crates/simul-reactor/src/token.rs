//! [`Token`]: the caller's name for a registration.

/// The caller's name for one registration, handed back with each event.
///
/// The reactor never interprets a token: a scheduler picks one per
/// registered descriptor (a slab index, a task id) and uses it to find the
/// waiter when the event arrives. One value is reserved for the reactor's
/// own notifier: [`Token::NOTIFIER`], which registration refuses.
///
/// # Examples
///
/// ```
/// use simul_reactor::Token;
///
/// let t = Token(7);
/// assert_eq!(t.0, 7);
/// assert_ne!(t, Token::NOTIFIER);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Token(pub usize);

impl Token {
    /// The token the reactor uses for its own notifier; never delivered
    /// to callers, and refused by [`Reactor::register`](crate::Reactor::register).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(simul_reactor::Token::NOTIFIER.0, usize::MAX);
    /// ```
    pub const NOTIFIER: Token = Token(usize::MAX);
}
