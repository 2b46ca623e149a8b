//! Shared test helpers: a recorded trace and loop constructors.
#![allow(dead_code, unreachable_pub)]

use std::cell::RefCell;
use std::rc::Rc;

use simul_callback::EventLoop;
use simul_reactor::Clock;

/// An ordered record of what happened, shared by the callbacks of a test.
#[derive(Clone, Default)]
pub struct Trace(Rc<RefCell<Vec<String>>>);

impl Trace {
    pub fn new() -> Trace {
        Trace::default()
    }

    pub fn log(&self, what: impl Into<String>) {
        self.0.borrow_mut().push(what.into());
    }

    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.borrow_mut())
    }

    pub fn len(&self) -> usize {
        self.0.borrow().len()
    }
}

/// A loop on a fresh virtual clock.
pub fn virtual_loop() -> EventLoop {
    EventLoop::with_clock(Clock::new_virtual()).expect("create loop")
}

/// Seconds since the clock's origin, as a float (for readable traces).
pub fn secs(lp: &EventLoop) -> f64 {
    lp.time().since_origin().as_secs_f64()
}

/// CPU time used by the thread that opened it (user + system), in clock
/// ticks (usually 10 ms), from /proc/thread-self/stat (Linux). Per thread,
/// so that other tests running in the same process do not count: the
/// loop under test runs on the test's thread. The file stays open, so that
/// it can still be read when the process is out of descriptors.
///
/// For "no busy loop" checks only, with generous bounds: a thread spinning
/// through a 300 ms wait burns about 30 ticks, an idle one none.
#[cfg(target_os = "linux")]
pub struct ThreadTicks(std::fs::File);

#[cfg(target_os = "linux")]
impl ThreadTicks {
    /// Opens the calling thread's counters.
    pub fn open() -> ThreadTicks {
        ThreadTicks(std::fs::File::open("/proc/thread-self/stat").unwrap())
    }

    /// The ticks used so far.
    pub fn now(&mut self) -> u64 {
        use std::io::{Read, Seek};
        let mut stat = String::new();
        self.0.rewind().unwrap();
        self.0.read_to_string(&mut stat).unwrap();
        // Fields after the command name (which is in parentheses): utime
        // and stime are the 14th and 15th of the line, the 12th and 13th
        // here.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let f: Vec<&str> = rest.split(' ').collect();
        f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
    }
}
