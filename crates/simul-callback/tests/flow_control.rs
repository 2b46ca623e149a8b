//! Write buffering and flow control: a producer that writes only while not
//! paused sends 64 MiB through a slow reader, byte-exact; pause_writing and
//! resume_writing alternate; close() flushes before closing.

mod util;

use std::cell::RefCell;
use std::io::{self, Read};
use std::net::TcpStream;
use std::rc::Rc;
use std::thread;
use std::time::Duration;

use simul_callback::{EventLoop, Protocol, Transport};
use util::Trace;

/// More than loopback's kernel buffers can absorb (send 4 MiB plus
/// receive up to 32 MiB with autotuning), so the transport must buffer.
const TOTAL: usize = 64 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;
const HIGH: usize = 256 * 1024;

/// Byte `i` of the stream is `i % 251`; `pattern()[i % 251..]` starts
/// there.
fn pattern() -> Vec<u8> {
    (0..CHUNK + 251).map(|i| (i % 251) as u8).collect()
}

struct Producer {
    pattern: Vec<u8>,
    sent: usize,
    transport: Option<Transport>,
    paused: bool,
    trace: Trace,
    lost: Rc<RefCell<Option<Option<io::ErrorKind>>>>,
}

impl Producer {
    fn produce(&mut self) {
        let t = self.transport.clone().unwrap();
        // Inside its own callbacks a protocol learns of the high-water mark
        // only when the callback returns (the loop cannot call into it while
        // it runs), so a producer loop also watches the buffer itself.
        while !self.paused && t.write_buffer_size() <= HIGH && self.sent < TOTAL {
            let start = self.sent % 251;
            t.write(&self.pattern[start..start + CHUNK]).unwrap();
            self.sent += CHUNK;
        }
        if self.sent == TOTAL && !t.is_closing() {
            t.close(); // must flush the buffered megabytes first
        }
    }
}

impl Protocol for Producer {
    fn connection_made(&mut self, _: &mut EventLoop, t: &Transport) {
        t.set_write_buffer_limits(HIGH, Some(64 * 1024));
        self.transport = Some(t.clone());
        self.produce();
    }
    fn data_received(&mut self, _: &mut EventLoop, _: &Transport, _: &[u8]) {}
    fn pause_writing(&mut self) {
        self.trace.log("pause");
        self.paused = true;
    }
    fn resume_writing(&mut self) {
        self.trace.log("resume");
        self.paused = false;
        self.produce();
    }
    fn connection_lost(&mut self, _: &mut EventLoop, error: Option<io::Error>) {
        *self.lost.borrow_mut() = Some(error.map(|e| e.kind()));
        self.transport = None;
    }
}

#[test]
fn sixty_four_mebibytes_through_a_slow_reader() {
    let mut lp = EventLoop::new().unwrap();
    let trace = Trace::new();
    let lost = Rc::new(RefCell::new(None));
    let (t, l) = (trace.clone(), lost.clone());
    let server = lp
        .create_server("127.0.0.1:0", move || {
            Box::new(Producer {
                pattern: pattern(),
                sent: 0,
                transport: None,
                paused: false,
                trace: t.clone(),
                lost: l.clone(),
            })
        })
        .unwrap();
    let addr = server.local_addr();
    let reader = thread::spawn(move || {
        let mut sock = TcpStream::connect(addr).unwrap();
        // Read nothing at first: the kernel buffers fill, then the
        // transport's.
        thread::sleep(Duration::from_millis(100));
        let mut buf = vec![0; 16 * 1024];
        let want = pattern();
        let mut got = 0usize;
        let mut slow = 0;
        loop {
            let n = sock.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            let start = got % 251;
            assert!(buf[..n] == want[start..start + n], "bytes {got}..{} wrong", got + n);
            got += n;
            // Slow at first, so the server's buffer fills.
            if slow < 20 {
                slow += 1;
                thread::sleep(Duration::from_millis(2));
            }
        }
        got
    });
    let l = lost.clone();
    lp.run_until(move |_| l.borrow().is_some()).unwrap();
    assert_eq!(reader.join().unwrap(), TOTAL, "close flushed everything before closing");
    assert_eq!(*lost.borrow(), Some(None), "a clean close");
    let trace = trace.take();
    assert!(!trace.is_empty(), "the buffer went over the high-water mark");
    for (i, what) in trace.iter().enumerate() {
        assert_eq!(what, if i % 2 == 0 { "pause" } else { "resume" }, "{trace:?}");
    }
}
