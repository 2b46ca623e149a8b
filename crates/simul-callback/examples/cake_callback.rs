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
//! ```text
//! cargo run -p simul-callback --example cake_callback            # virtual clock
//! cargo run -p simul-callback --example cake_callback -- --board # the lanes
//! cargo run -p simul-callback --example cake_callback -- --real --scale 1200
//! ```

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use simul_callback::{Error, EventLoop};
use simul_reactor::trace::name_current;
use simul_scenario::params::cake::{DOUGH, GROCERIES, OVEN};
use simul_scenario::{Figures, Options, Outcome, Scenario, Style, Traces, say};

/// What happened when, in loop time since the start.
pub(crate) type Log = Rc<RefCell<Vec<(&'static str, Duration)>>>;

/// One run of the kitchen: its loop, and the options that scale the seed's
/// durations.
pub(crate) struct Run {
    lp: EventLoop,
    opts: Options,
    pub(crate) log: Log,
}

impl Run {
    pub(crate) fn new(opts: &Options) -> Result<Run, Error> {
        Ok(Run { lp: EventLoop::with_clock(opts.clock())?, opts: opts.clone(), log: Rc::default() })
    }

    fn d(&self, seed: Duration) -> Duration {
        self.opts.scaled(seed)
    }
}

fn log(log: &Log, lp: &EventLoop, what: &'static str) {
    let at = lp.time().since_origin();
    say!("  {at:>10.1?}  {what}");
    log.borrow_mut().push((what, at));
}

/// Cake, then groceries, every step blocking: returns when all was done.
pub(crate) fn sequential(mut run: Run) -> Result<Duration, Error> {
    let (dough, oven, groceries) = (run.d(DOUGH), run.d(OVEN), run.d(GROCERIES));
    let l = run.log.clone();
    run.lp.call_soon(move |lp| {
        name_current("cake");
        lp.clock().block_for(dough);
        log(&l, lp, "dough ready");
        lp.clock().block_for(oven);
        log(&l, lp, "cake baked");
        lp.clock().block_for(groceries);
        log(&l, lp, "groceries bought");
    });
    let l = run.log.clone();
    run.lp.run_until(|_| l.borrow().len() == 3)?;
    Ok(run.lp.time().since_origin())
}

/// The dough is work, the oven and the shop are waits: returns when the
/// last thing was done.
pub(crate) fn cooperative(mut run: Run) -> Result<Duration, Error> {
    let (dough, oven, groceries) = (run.d(DOUGH), run.d(OVEN), run.d(GROCERIES));
    let l = run.log.clone();
    run.lp.call_soon(move |lp| {
        name_current("cake");
        lp.clock().block_for(dough); // hands busy
        log(&l, lp, "dough ready, cake in the oven");
        lp.call_later(oven, move |lp| log(&l, lp, "cake baked"));
    });
    let l = run.log.clone();
    run.lp.call_soon(move |lp| {
        name_current("groceries");
        log(&l, lp, "off to the shop");
        lp.call_later(groceries, move |lp| log(&l, lp, "groceries bought"));
    });
    let l = run.log.clone();
    run.lp.run_until(|_| l.borrow().len() == 4)?;
    Ok(run.lp.time().since_origin())
}

/// Both kitchens, in seed minutes.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut traces = Traces::default();
    say!("sequential:");
    let sequential = opts.record(&mut traces, "sequential", || sequential(Run::new(opts)?))?;
    say!("cooperative:");
    let run = Run::new(opts)?;
    let log = run.log.clone();
    let cooperative = opts.record(&mut traces, "cooperative", || cooperative(run))?;
    let groceries_done =
        log.borrow().iter().find(|(w, _)| *w == "groceries bought").map_or(Duration::ZERO, |e| e.1);
    Ok(Outcome {
        style: Style::Callback,
        exact: opts.is_virtual(),
        figures: Figures::Cake {
            sequential: opts.unscaled(sequential),
            cooperative: opts.unscaled(cooperative),
            groceries_done: opts.unscaled(groceries_done),
        },
        traces,
    })
}

fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::Cake, Style::Callback, scenario)
}
