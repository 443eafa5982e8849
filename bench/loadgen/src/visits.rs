//! Visits: which visitor sends each beacon of a connection, for loads that must enroll
//! contacts in workflows. Without visits, a connection is one anonymous visitor for the whole
//! run (the throughput figure's load), and no workflow would ever enroll anyone.
//!
//! With visits, a connection's visitors follow one another, each sending `beacons` beacons (a
//! visit of a few pages), and `identified_percent` of them sign up on the way: their beacons
//! after the first carry an email, as a tracker's do after `identify`. So the collector sees
//! both stories workflows have: anonymous completions, remembered until the visitor is known,
//! and completions of contacts. Pure arithmetic on the beacon's number, so a run's mix is
//! exactly the parameters' and the same for every run given them.

/// The shape of the visits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Visits {
    /// Beacons each visitor sends before the next one comes (at least 1).
    pub beacons: u64,
    /// Share of visitors who identify, in percent (0–100), spread evenly over the visitors.
    pub identified_percent: u64,
}

/// Who sends one beacon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Turn {
    /// The connection's visitor number, from 0.
    pub visitor: u64,
    /// Whether this beacon carries the visitor's email.
    pub identified: bool,
}

impl Visits {
    /// Who sends beacon `n` (from 0) of a connection. An identifying visitor's first beacon is
    /// anonymous (the visit starts before the sign-up), unless a visit is a single beacon.
    pub fn turn(&self, n: u64) -> Turn {
        let beacons = self.beacons.max(1);
        let visitor = n / beacons;
        Turn {
            visitor,
            identified: self.identifies(visitor) && (!n.is_multiple_of(beacons) || beacons == 1),
        }
    }

    /// Whether visitor `k` identifies: the share is spread evenly (one in four for 25 %, not
    /// the first quarter of the run), so a short run has the same mix as a long one.
    pub fn identifies(&self, k: u64) -> bool {
        let p = self.identified_percent.min(100);
        (k + 1) * p / 100 > k * p / 100
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identified_share_is_spread_evenly_over_the_visitors() {
        let visits = Visits {
            beacons: 5,
            identified_percent: 25,
        };
        let identified: Vec<u64> = (0..100).filter(|k| visits.identifies(*k)).collect();
        assert_eq!(identified.len(), 25);
        assert!(identified.windows(2).all(|w| w[1] - w[0] == 4));
        let none = Visits {
            identified_percent: 0,
            ..visits
        };
        assert!((0..100).all(|k| !none.identifies(k)));
        let all = Visits {
            identified_percent: 100,
            ..visits
        };
        assert!((0..100).all(|k| all.identifies(k)));
    }

    #[test]
    fn an_identifying_visitor_is_anonymous_on_the_first_beacon_of_the_visit_only() {
        let visits = Visits {
            beacons: 3,
            identified_percent: 100,
        };
        let turns: Vec<Turn> = (0..6).map(|n| visits.turn(n)).collect();
        assert_eq!(
            turns.iter().map(|t| t.visitor).collect::<Vec<_>>(),
            [0, 0, 0, 1, 1, 1]
        );
        assert_eq!(
            turns.iter().map(|t| t.identified).collect::<Vec<_>>(),
            [false, true, true, false, true, true]
        );
        let single = Visits {
            beacons: 1,
            identified_percent: 100,
        };
        assert!(single.turn(0).identified && single.turn(1).identified);
    }
}
