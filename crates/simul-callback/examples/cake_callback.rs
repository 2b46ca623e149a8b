//! Seed 002, `cake`, callback style: bake a cake (15 min of dough, then
//! 45 min in the oven) and buy groceries (20 min).
//!
//! Sequentially every step blocks: 80 minutes. Cooperatively the dough is
//! still work (it blocks the loop: your hands are busy), but the oven and
//! the shop are waits, so the cake task hands the loop "take the cake out"
//! as a callback for later, and the shopping happens meanwhile: groceries
//! at 35 min, cake at 60.
//!
//! Each step's continuation is a closure nested in the previous one; with
//! a few more steps this nesting is the "callback hell" the later styles
//! flatten.
//!
//! Runs on the virtual clock (exact, instant); `--real --scale N` runs
//! one simulated minute in 60/N real seconds.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use simul_callback::{Error, EventLoop};
use simul_reactor::Clock;

const DOUGH_MIN: u64 = 15;
const OVEN_MIN: u64 = 45;
const GROCERIES_MIN: u64 = 20;

pub(crate) struct Run {
    lp: EventLoop,
    /// Real seconds per simulated minute.
    minute: Duration,
    pub(crate) log: Rc<RefCell<Vec<(String, f64)>>>,
}

impl Run {
    pub(crate) fn new(real: bool, scale: f64) -> Result<Run, Error> {
        let clock = if real { Clock::real() } else { Clock::new_virtual() };
        let minute = Duration::from_secs_f64(60.0 / scale);
        Ok(Run { lp: EventLoop::with_clock(clock)?, minute, log: Rc::default() })
    }
}

fn log(log: &RefCell<Vec<(String, f64)>>, lp: &EventLoop, minute: Duration, what: &str) {
    let at = lp.time().since_origin().as_secs_f64() / minute.as_secs_f64();
    println!("  {at:5.1} min  {what}");
    log.borrow_mut().push((what.to_string(), at));
}

pub(crate) fn sequential(mut run: Run) -> Result<f64, Error> {
    let (m, l) = (run.minute, run.log.clone());
    run.lp.call_soon(move |lp| {
        lp.clock().block_for(m * DOUGH_MIN as u32);
        log(&l, lp, m, "dough ready");
        lp.clock().block_for(m * OVEN_MIN as u32);
        log(&l, lp, m, "cake baked");
        lp.clock().block_for(m * GROCERIES_MIN as u32);
        log(&l, lp, m, "groceries bought");
    });
    let l = run.log.clone();
    run.lp.run_until(|_| l.borrow().len() == 3)?;
    Ok(run.log.borrow()[2].1)
}

pub(crate) fn cooperative(mut run: Run) -> Result<f64, Error> {
    let (m, l) = (run.minute, run.log.clone());
    run.lp.call_soon(move |lp| {
        lp.clock().block_for(m * DOUGH_MIN as u32); // hands busy
        log(&l, lp, m, "dough ready, cake in the oven");
        lp.call_later(m * OVEN_MIN as u32, move |lp| log(&l, lp, m, "cake baked"));
    });
    let (m, l) = (run.minute, run.log.clone());
    run.lp.call_soon(move |lp| {
        log(&l, lp, m, "off to the shop");
        lp.call_later(m * GROCERIES_MIN as u32, move |lp| log(&l, lp, m, "groceries bought"));
    });
    let l = run.log.clone();
    run.lp.run_until(|_| l.borrow().len() == 4)?;
    let log = run.log.borrow();
    Ok(log.iter().map(|(_, at)| *at).fold(0.0, f64::max))
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let real = args.iter().any(|a| a == "--real");
    let scale = args
        .iter()
        .position(|a| a == "--scale")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .unwrap_or(if real { 600.0 } else { 1.0 });
    println!("sequential:");
    let seq = sequential(Run::new(real, scale)?)?;
    println!("cooperative:");
    let coop_run = Run::new(real, scale)?;
    let log = coop_run.log.clone();
    let coop = cooperative(coop_run)?;
    let groceries =
        log.borrow().iter().find(|(w, _)| w == "groceries bought").map_or(0.0, |(_, at)| *at);
    println!(
        "sequential {seq:.0} min (seed: 80); cooperative {coop:.0} min (seed: 60), groceries at {groceries:.0} min (seed: 35)"
    );
    Ok(())
}
