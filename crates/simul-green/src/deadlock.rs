//! [`Deadlock`]: the report given when nothing can ever run again.

use std::fmt;

use crate::{GreenId, Wait};

/// Every green thread of a hub is parked and nothing can wake any of
/// them: no timer is pending, no descriptor is being waited on, no
/// thread is runnable, and no thread parked in [`park`](crate::park) or
/// [`offload`](fn@crate::offload) has an [`Unparker`](crate::Unparker) left
/// that another OS thread could use. Main's blocking call (a `join`, usually) returns
/// this instead of hanging forever.
///
/// It lists who waits for what, so a cycle (`#1` joins `#2`, `#2` joins
/// `#1`) can be read off directly.
///
/// # Examples
///
/// ```
/// use simul_green::{Error, Event, GreenId, Hub, Wait};
///
/// let hub = Hub::new()?;
/// let result = hub.run(|| {
///     let never = Event::new();
///     let waiter = never.clone();
///     let _worker = simul_green::spawn_named("worker", move || waiter.wait())?;
///     never.wait() // main waits too; nobody is left to set it
/// })?;
/// let Err(Error::Deadlock(report)) = result else { panic!("expected a deadlock") };
/// assert_eq!(report.waiting()[0].id, GreenId::MAIN);
/// assert_eq!(report.waiting()[1].wait, Some(Wait::Event));
/// assert!(report.to_string().contains("#1 (\"worker\") waits for an Event to be set"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deadlock {
    /// Every unfinished thread, main first, with its name and its wait.
    waiting: Vec<Waiter>,
}

/// One line of a [`Deadlock`] report.
///
/// # Examples
/// See [`Deadlock`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiter {
    /// The thread.
    pub id: GreenId,
    /// Its name, if it was spawned with one.
    pub name: Option<String>,
    /// What it waits for (`None`: runnable, which a deadlock never shows).
    pub wait: Option<Wait>,
}

impl Deadlock {
    pub(crate) fn new(waiting: Vec<Waiter>) -> Deadlock {
        Deadlock { waiting }
    }

    /// Who waits for what, main first, then by id.
    ///
    /// # Examples
    /// See [`Deadlock`].
    pub fn waiting(&self) -> &[Waiter] {
        &self.waiting
    }
}

impl fmt::Display for Deadlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "deadlock: every green thread waits and nothing can wake any of them")?;
        for w in &self.waiting {
            write!(f, "\n  {}", w.id)?;
            if let Some(name) = &w.name {
                write!(f, " ({name:?})")?;
            }
            match &w.wait {
                Some(wait) => write!(f, " {wait}")?,
                None => write!(f, " is runnable")?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for Deadlock {}
