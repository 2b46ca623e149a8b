//! Signals become readiness of a descriptor: delivered to every listener,
//! coalesced but never lost, the previous disposition restored on drop.
//!
//! Signal dispositions are process-wide, so every test here holds `LOCK`.
//! Each test keeps a listener alive across every `raise` it makes: with
//! none, SIGUSR1's default action would end the test process.

use std::collections::HashSet;
use std::io::ErrorKind;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, mpsc};
use std::time::Duration;

use simul_reactor::{Events, Interest, Reactor, Signal, Signals, Token};

static LOCK: Mutex<()> = Mutex::new(());

fn lock() -> MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// Polls until every token in `want` has had an event, or 5 s pass.
/// Returns the tokens seen.
fn wait_for(reactor: &mut Reactor, want: &[Token]) -> HashSet<Token> {
    let deadline = reactor.now() + Duration::from_secs(5);
    let mut seen = HashSet::new();
    let mut events = Events::with_capacity(16);
    while !want.iter().all(|t| seen.contains(t)) && reactor.now() < deadline {
        reactor.poll(&mut events, Some(deadline)).unwrap();
        seen.extend(events.iter().map(|e| e.token()));
    }
    seen
}

/// True when a short poll reports an event for `token`.
fn has_event(reactor: &mut Reactor, token: Token) -> bool {
    let mut events = Events::with_capacity(16);
    let deadline = reactor.now() + Duration::from_millis(20);
    reactor.poll(&mut events, Some(deadline)).unwrap();
    events.iter().any(|e| e.token() == token)
}

#[test]
fn every_listener_for_a_signal_gets_it() {
    let _g = lock();
    let mut reactor = Reactor::new().unwrap();
    let a = Signals::new(&[Signal::USR1]).unwrap();
    let b = Signals::new(&[Signal::USR1, Signal::HUP]).unwrap();
    reactor.register(a.as_raw_fd(), Token(1), Interest::READABLE).unwrap();
    reactor.register(b.as_raw_fd(), Token(2), Interest::READABLE).unwrap();

    Signal::USR1.raise().unwrap();
    let seen = wait_for(&mut reactor, &[Token(1), Token(2)]);
    assert!(seen.contains(&Token(1)) && seen.contains(&Token(2)), "saw only {seen:?}");
    assert_eq!(a.pending().unwrap(), vec![Signal::USR1]);
    assert_eq!(b.pending().unwrap(), vec![Signal::USR1]);

    // Only b listens for SIGHUP.
    Signal::HUP.raise().unwrap();
    let seen = wait_for(&mut reactor, &[Token(2)]);
    assert!(seen.contains(&Token(2)));
    assert!(!seen.contains(&Token(1)));
    assert_eq!(b.pending().unwrap(), vec![Signal::HUP]);
    assert_eq!(a.pending().unwrap(), vec![]);

    reactor.deregister(a.as_raw_fd()).unwrap();
    reactor.deregister(b.as_raw_fd()).unwrap();
}

#[test]
fn pending_reports_each_signal_once_in_listen_order() {
    let _g = lock();
    let mut reactor = Reactor::new().unwrap();
    let s = Signals::new(&[Signal::USR2, Signal::USR1]).unwrap();
    reactor.register(s.as_raw_fd(), Token(3), Interest::READABLE).unwrap();
    assert!(!has_event(&mut reactor, Token(3)), "readable before any signal");
    assert_eq!(s.pending().unwrap(), vec![], "empty, not WouldBlock");

    Signal::USR1.raise().unwrap();
    Signal::USR2.raise().unwrap();
    Signal::USR1.raise().unwrap();
    assert!(wait_for(&mut reactor, &[Token(3)]).contains(&Token(3)));
    assert_eq!(s.pending().unwrap(), vec![Signal::USR2, Signal::USR1]);
    assert!(!has_event(&mut reactor, Token(3)), "drained: no further edge");
    reactor.deregister(s.as_raw_fd()).unwrap();
}

#[test]
fn a_burst_coalesces_and_no_batch_is_lost() {
    let _g = lock();
    let mut reactor = Reactor::new().unwrap();
    let s = Signals::new(&[Signal::USR1]).unwrap();
    reactor.register(s.as_raw_fd(), Token(4), Interest::READABLE).unwrap();

    // 10,000 signals are far more bytes than a pipe holds: the handler's
    // writes fail with EAGAIN, yet one drain reports the signal once.
    for _ in 0..10_000 {
        Signal::USR1.raise().unwrap();
    }
    assert!(wait_for(&mut reactor, &[Token(4)]).contains(&Token(4)));
    assert_eq!(s.pending().unwrap(), vec![Signal::USR1]);
    assert_eq!(s.pending().unwrap(), vec![]);

    // Batches raised on another thread (so the handler runs there), each
    // sent only after the loop drained the previous one: every batch must
    // produce an edge and a report.
    let (go_tx, go_rx) = mpsc::channel::<usize>();
    let sender = std::thread::spawn(move || {
        while let Ok(n) = go_rx.recv() {
            for _ in 0..n {
                Signal::USR1.raise().unwrap();
            }
        }
    });
    for batch in 0..200 {
        go_tx.send(1 + batch % 7).unwrap();
        let seen = wait_for(&mut reactor, &[Token(4)]);
        assert!(seen.contains(&Token(4)), "batch {batch}: no event");
        // A signal can land between an event and the drain: its flag is
        // collected now and its byte gives one spurious wake later, which
        // the next batch's wait absorbs.
        let got = s.pending().unwrap();
        assert!(got == vec![Signal::USR1] || got.is_empty(), "batch {batch}: {got:?}");
        if got.is_empty() {
            // The flag was taken by the previous drain; this event was the
            // leftover byte. The batch itself must still show up.
            let seen = wait_for(&mut reactor, &[Token(4)]);
            assert!(seen.contains(&Token(4)), "batch {batch}: lost");
            assert_eq!(s.pending().unwrap(), vec![Signal::USR1], "batch {batch}");
        }
    }
    drop(go_tx);
    sender.join().unwrap();
    reactor.deregister(s.as_raw_fd()).unwrap();
}

static PREVIOUS_HANDLER_RAN: AtomicUsize = AtomicUsize::new(0);

extern "C" fn previous_handler(_: libc::c_int) {
    PREVIOUS_HANDLER_RAN.fetch_add(1, Ordering::SeqCst);
}

fn current_handler(signo: libc::c_int) -> libc::sighandler_t {
    // SAFETY: an all-zero sigaction is a valid value.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: querying only (null new action); `old` is a live value.
    assert_eq!(unsafe { libc::sigaction(signo, std::ptr::null(), &mut old) }, 0);
    old.sa_sigaction
}

#[test]
fn the_last_listener_to_go_restores_the_previous_disposition() {
    let _g = lock();
    let ours = previous_handler as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: an all-zero sigaction is a valid value (empty mask, no flags).
    let mut act: libc::sigaction = unsafe { std::mem::zeroed() };
    act.sa_sigaction = ours;
    // SAFETY: installs a handler that only touches an atomic.
    assert_eq!(unsafe { libc::sigaction(libc::SIGUSR2, &act, std::ptr::null_mut()) }, 0);
    Signal::USR2.raise().unwrap();
    assert_eq!(PREVIOUS_HANDLER_RAN.load(Ordering::SeqCst), 1);

    let mut reactor = Reactor::new().unwrap();
    let first = Signals::new(&[Signal::USR2]).unwrap();
    let second = Signals::new(&[Signal::USR2]).unwrap();
    reactor.register(second.as_raw_fd(), Token(5), Interest::READABLE).unwrap();
    assert_ne!(current_handler(libc::SIGUSR2), ours);

    Signal::USR2.raise().unwrap();
    assert_eq!(PREVIOUS_HANDLER_RAN.load(Ordering::SeqCst), 1, "replaced while listened for");
    drop(first);
    // One listener left: still ours, still delivered.
    Signal::USR2.raise().unwrap();
    assert_eq!(PREVIOUS_HANDLER_RAN.load(Ordering::SeqCst), 1);
    assert!(wait_for(&mut reactor, &[Token(5)]).contains(&Token(5)));
    assert_eq!(second.pending().unwrap(), vec![Signal::USR2]);

    reactor.deregister(second.as_raw_fd()).unwrap();
    drop(second);
    assert_eq!(current_handler(libc::SIGUSR2), ours, "previous handler put back");
    Signal::USR2.raise().unwrap();
    assert_eq!(PREVIOUS_HANDLER_RAN.load(Ordering::SeqCst), 2);

    // SAFETY: back to the default for later tests.
    unsafe { libc::signal(libc::SIGUSR2, libc::SIG_DFL) };
    assert_eq!(current_handler(libc::SIGUSR2), libc::SIG_DFL);
}

#[test]
fn default_disposition_comes_back_too() {
    let _g = lock();
    assert_eq!(current_handler(libc::SIGWINCH), libc::SIG_DFL);
    let s = Signals::new(&[Signal::WINCH]).unwrap();
    assert_ne!(current_handler(libc::SIGWINCH), libc::SIG_DFL);
    drop(s);
    assert_eq!(current_handler(libc::SIGWINCH), libc::SIG_DFL);
}

#[test]
fn uncatchable_and_fault_signals_are_refused() {
    let _g = lock();
    let refused = [
        Signal::KILL,
        Signal::from_raw(libc::SIGSTOP),
        Signal::from_raw(libc::SIGSEGV),
        Signal::from_raw(libc::SIGBUS),
        Signal::from_raw(libc::SIGILL),
        Signal::from_raw(libc::SIGFPE),
        Signal::from_raw(0),
        Signal::from_raw(-1),
        Signal::from_raw(65),
    ];
    for sig in refused {
        let err = Signals::new(&[Signal::USR1, sig]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{sig}: {err}");
    }
    assert_eq!(Signals::new(&[]).unwrap_err().kind(), ErrorKind::InvalidInput);
    // A refusal took nothing: SIGUSR1 still has its default action.
    assert_eq!(current_handler(libc::SIGUSR1), libc::SIG_DFL);
}

#[test]
fn signals_have_names() {
    assert_eq!(Signal::TERM.to_string(), "SIGTERM");
    assert_eq!(format!("{:?}", Signal::from_raw(40)), "signal 40");
    assert_eq!(Signal::from_raw(libc::SIGINT), Signal::INT);
}
