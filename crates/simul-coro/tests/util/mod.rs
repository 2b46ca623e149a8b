//! Shared helpers for the simul-coro integration tests.
#![allow(dead_code, unreachable_pub)]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use simul_coro::{CoroutineState, FromFn, Reply, Resume, ResumeError, Scheduler, Trap, from_fn};
use simul_reactor::{Clock, Instant};

/// A scheduler on a fresh virtual clock.
pub fn virtual_scheduler<T: 'static>() -> Scheduler<T> {
    Scheduler::with_clock(Clock::new_virtual()).expect("reactor")
}

/// A shared list of what tasks did, in order.
#[derive(Clone, Default)]
pub struct Log(Rc<RefCell<Vec<String>>>);

impl Log {
    pub fn push(&self, s: impl Into<String>) {
        self.0.borrow_mut().push(s.into());
    }
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.0.borrow_mut())
    }
}

/// `secs` seconds after the origin.
pub fn at_secs(secs: u64) -> Instant {
    Instant::ZERO + Duration::from_secs(secs)
}

/// A task that logs `name`, sleeps `d`, logs `name done` and returns `value`.
pub fn sleeper<T: 'static>(
    log: &Log,
    name: &'static str,
    d: Duration,
    value: T,
) -> FromFn<impl FnMut(Reply<T>) -> Resume<Trap<T>, T> + use<T>> {
    let log = log.clone();
    let mut value = Some(value);
    from_fn(move |r: Reply<T>| match r {
        Reply::Start => {
            log.push(name);
            Ok(CoroutineState::Yielded(Trap::Sleep(d)))
        }
        Reply::Woke => {
            log.push(format!("{name} done"));
            value.take().map(CoroutineState::Complete).ok_or(ResumeError::AfterCompletion)
        }
        _ => Err(ResumeError::UnexpectedInput { expected: "Reply::Woke" }),
    })
}

/// A value whose drops are counted.
pub struct DropCounter(pub Rc<RefCell<u32>>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        *self.0.borrow_mut() += 1;
    }
}

/// A connected loopback TCP pair, both ends registered with the scheduler
/// of `io`: `(client, server)`. The client is made first, so it takes the
/// lowest free descriptor number.
pub fn tcp_pair(
    io: &simul_coro::net::IoHandle,
) -> std::io::Result<(simul_coro::net::TcpStream, simul_coro::net::TcpStream)> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    tcp_pair_on(io, &listener)
}

/// [`tcp_pair`] through an existing listener (so that only the two ends
/// take new descriptor numbers).
pub fn tcp_pair_on(
    io: &simul_coro::net::IoHandle,
    listener: &std::net::TcpListener,
) -> std::io::Result<(simul_coro::net::TcpStream, simul_coro::net::TcpStream)> {
    use simul_coro::net::TcpStream;
    use simul_reactor::net::TcpStream as Raw;
    let client = std::net::TcpStream::connect(listener.local_addr()?)?;
    let (server, _) = listener.accept()?;
    let client = TcpStream::from_reactor(io, Raw::from_std(client)?)?;
    let server = TcpStream::from_reactor(io, Raw::from_std(server)?)?;
    Ok((client, server))
}

/// The scheduler-trace events of task `id`, as `(seconds, kind)`.
pub fn kinds_of(
    trace: &[simul_coro::TraceEvent],
    id: simul_coro::TaskId,
) -> Vec<(u64, simul_coro::TraceKind)> {
    trace.iter().filter(|e| e.task == id).map(|e| (e.at.since_origin().as_secs(), e.kind)).collect()
}
