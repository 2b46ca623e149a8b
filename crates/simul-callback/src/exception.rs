//! [`ExceptionContext`], [`SlowCallback`] and [`CallbackKind`]: what the
//! loop reports when a callback panics or takes too long.

use std::any::Any;
use std::fmt;
use std::io;
use std::panic::Location;
use std::time::Duration;

/// How a callback reached the loop: the API that scheduled it.
///
/// # Examples
///
/// ```
/// use simul_callback::CallbackKind;
/// assert_eq!(CallbackKind::Timer.to_string(), "call_later/call_at");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CallbackKind {
    /// [`EventLoop::call_soon`](crate::EventLoop::call_soon).
    CallSoon,
    /// [`EventLoop::call_later`](crate::EventLoop::call_later) or
    /// [`EventLoop::call_at`](crate::EventLoop::call_at).
    Timer,
    /// [`EventLoop::add_reader`](crate::EventLoop::add_reader).
    Reader,
    /// [`EventLoop::add_writer`](crate::EventLoop::add_writer).
    Writer,
    /// [`LoopHandle::call_soon_threadsafe`](crate::LoopHandle::call_soon_threadsafe).
    Threadsafe,
    /// The completion callback of
    /// [`EventLoop::run_in_executor`](crate::EventLoop::run_in_executor).
    Executor,
    /// A transport or server handling readiness of its socket (the
    /// location is where it was created).
    Transport,
}

impl fmt::Display for CallbackKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CallbackKind::CallSoon => "call_soon",
            CallbackKind::Timer => "call_later/call_at",
            CallbackKind::Reader => "add_reader",
            CallbackKind::Writer => "add_writer",
            CallbackKind::Threadsafe => "call_soon_threadsafe",
            CallbackKind::Executor => "run_in_executor",
            CallbackKind::Transport => "transport",
        })
    }
}

/// What went wrong, handed to the loop's exception handler (asyncio's
/// `context` dict of `call_exception_handler`).
///
/// # Examples
///
/// ```
/// use simul_callback::{ExceptionContext, EventLoop};
/// use std::{cell::RefCell, rc::Rc};
///
/// let mut lp = EventLoop::new()?;
/// let seen = Rc::new(RefCell::new(Vec::new()));
/// let s = seen.clone();
/// lp.set_exception_handler(move |_lp, ctx: ExceptionContext| {
///     s.borrow_mut().push(ctx.panic_message().unwrap_or("?").to_string());
/// });
/// lp.call_soon(|_| panic!("boom"));
/// lp.call_soon(|lp| lp.stop());
/// lp.run_forever()?;
/// assert_eq!(*seen.borrow(), ["boom"]);
/// # Ok::<(), simul_callback::Error>(())
/// ```
#[non_exhaustive]
pub struct ExceptionContext {
    /// What happened, in a sentence.
    pub message: String,
    /// The source line that scheduled the failing callback, when known.
    pub location: Option<&'static Location<'static>>,
    /// The API that scheduled it, when known.
    pub kind: Option<CallbackKind>,
    /// The panic payload, when a callback panicked (re-raise it with
    /// `std::panic::resume_unwind` to make the panic fatal).
    pub payload: Option<Box<dyn Any + Send>>,
    /// The I/O error, when the loop failed to do something for a callback
    /// (for example re-arming a descriptor that was closed while watched).
    pub error: Option<io::Error>,
}

impl ExceptionContext {
    /// A context with just a message, for
    /// [`EventLoop::call_exception_handler`](crate::EventLoop::call_exception_handler).
    ///
    /// # Examples
    ///
    /// ```
    /// let ctx = simul_callback::ExceptionContext::new("disk on fire");
    /// assert_eq!(ctx.message, "disk on fire");
    /// ```
    pub fn new(message: impl Into<String>) -> ExceptionContext {
        ExceptionContext {
            message: message.into(),
            location: None,
            kind: None,
            payload: None,
            error: None,
        }
    }

    /// The panic's message, when the payload is a string (as `panic!`
    /// with a message makes it).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ctx = simul_callback::ExceptionContext::new("callback panicked");
    /// ctx.payload = Some(Box::new("boom"));
    /// assert_eq!(ctx.panic_message(), Some("boom"));
    /// ```
    pub fn panic_message(&self) -> Option<&str> {
        let p = self.payload.as_ref()?;
        p.downcast_ref::<&'static str>()
            .copied()
            .or_else(|| p.downcast_ref::<String>().map(String::as_str))
    }
}

impl fmt::Debug for ExceptionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExceptionContext")
            .field("message", &self.message)
            .field("location", &self.location)
            .field("kind", &self.kind)
            .field("panic", &self.panic_message())
            .field("error", &self.error)
            .finish()
    }
}

impl fmt::Display for ExceptionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let (Some(kind), Some(loc)) = (self.kind, self.location) {
            write!(f, " (callback scheduled by {kind} at {loc})")?;
        } else if let Some(loc) = self.location {
            write!(f, " (at {loc})")?;
        }
        if let Some(msg) = self.panic_message() {
            write!(f, ": {msg}")?;
        } else if self.payload.is_some() {
            f.write_str(": <non-string panic payload>")?;
        }
        if let Some(e) = &self.error {
            write!(f, ": {e}")?;
        }
        Ok(())
    }
}

/// A callback that ran longer than the debug-mode threshold.
///
/// Reported to the slow-callback hook (default: a line on stderr) when
/// [debug mode](crate::EventLoop::set_debug) is on.
///
/// # Examples
///
/// ```
/// use simul_callback::{EventLoop, SlowCallback};
/// use simul_reactor::Clock;
/// use std::{cell::RefCell, rc::Rc, time::Duration};
///
/// let mut lp = EventLoop::with_clock(Clock::new_virtual())?;
/// lp.set_debug(true);
/// let slow = Rc::new(RefCell::new(Vec::new()));
/// let s = slow.clone();
/// lp.set_slow_callback_hook(move |report: &SlowCallback| s.borrow_mut().push(report.duration));
/// // Blocking work: under the virtual clock, `block_for` is time that
/// // passes while the loop cannot run anything else.
/// lp.call_soon(|lp| lp.clock().block_for(Duration::from_secs(4)));
/// lp.call_soon(|lp| lp.stop());
/// lp.run_forever()?;
/// assert_eq!(*slow.borrow(), [Duration::from_secs(4)]);
/// # Ok::<(), simul_callback::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SlowCallback {
    /// The source line that scheduled the callback (the `call_soon`,
    /// `call_later`, `add_reader`, ... call).
    pub location: &'static Location<'static>,
    /// The API that scheduled it.
    pub kind: CallbackKind,
    /// How long it ran, on the loop's clock.
    pub duration: Duration,
}

impl fmt::Display for SlowCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "executing the callback scheduled by {} at {} took {:.3} seconds",
            self.kind,
            self.location,
            self.duration.as_secs_f64()
        )
    }
}
