//! The `cpu_bound` scenario: on the loop a job holds it to the end; with
//! yields the jobs take turns; offloaded, the answers still come back.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/cpu_bound_coro.rs"]
mod cpu_bound_coro;

use cpu_bound_coro::{Mode, Step, Work, run, work};

const SMALL: Work = Work { jobs: 3, units: 300_000, slices: 4 };

/// The job steps, without the heartbeats.
fn job_steps(steps: &[Step]) -> Vec<Step> {
    steps.iter().copied().filter(|s| *s != Step::Beat).collect()
}

#[test]
fn on_the_loop_each_job_runs_to_its_end_in_one_piece() {
    let (sh, _) = run(Mode::OnTheLoop, SMALL).unwrap();
    let answer = work(SMALL.units);
    let steps = sh.steps.borrow();
    // Nothing, not even the heartbeat, between a job's start and its end.
    let mut expected = Vec::new();
    for job in 0..SMALL.jobs {
        expected.extend([Step::Slice { job, slice: 0 }, Step::Finished { job, answer }]);
    }
    let first = steps.iter().position(|s| *s != Step::Beat).unwrap();
    assert_eq!(steps[first..first + expected.len()], expected[..]);
    // The heartbeat beats once more after the last job, to measure it.
    assert_eq!(steps.last(), Some(&Step::Beat));
}

#[test]
fn with_yields_the_jobs_take_turns_slice_by_slice() {
    let (sh, _) = run(Mode::WithYields, SMALL).unwrap();
    let answer = work(SMALL.units / u64::from(SMALL.slices));
    let mut expected = Vec::new();
    for slice in 0..SMALL.slices {
        for job in 0..SMALL.jobs {
            expected.push(Step::Slice { job, slice });
            if slice + 1 == SMALL.slices {
                expected.push(Step::Finished { job, answer });
            }
        }
    }
    assert_eq!(job_steps(&sh.steps.borrow()), expected);
    assert_eq!(sh.steps.borrow().last(), Some(&Step::Beat));
}

#[test]
fn offloaded_jobs_bring_their_answers_back_to_the_loop() {
    let (sh, _) = run(Mode::Offloaded, SMALL).unwrap();
    let answer = work(SMALL.units);
    let mut finished: Vec<Step> = job_steps(&sh.steps.borrow());
    finished.sort_by_key(|s| match s {
        Step::Finished { job, .. } => *job,
        _ => u32::MAX,
    });
    let expected: Vec<Step> = (0..SMALL.jobs).map(|job| Step::Finished { job, answer }).collect();
    assert_eq!(finished, expected);
    assert_eq!(sh.done.get(), SMALL.jobs);
}
