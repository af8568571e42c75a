// SPDX-License-Identifier: Apache-2.0

//! Decodes the wait status that the kernel keeps in task_struct.exit_code
//! when a process ends, and that trace_exit_rust's eBPF program reports as
//! exit_status: a normal exit stores the code in bits 8-15; a death by
//! signal stores the signal number in bits 0-6 and sets bit 7 when a core
//! was dumped.

use std::fmt;

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// It called exit with this code.
    Exited(u8),
    /// This signal ended it; `core_dumped` if it dumped core.
    Killed { signal: u8, core_dumped: bool },
}

impl ExitStatus {
    /// The status in the kernel's encoding.
    pub fn from_raw(status: u32) -> ExitStatus {
        let signal = (status & 0x7f) as u8;
        if signal == 0 {
            ExitStatus::Exited(((status >> 8) & 0xff) as u8)
        } else {
            ExitStatus::Killed {
                signal,
                core_dumped: status & 0x80 != 0,
            }
        }
    }
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ExitStatus::Exited(code) => write!(f, "exit {}", code),
            ExitStatus::Killed {
                signal,
                core_dumped: false,
            } => write!(f, "signal {}", signal),
            ExitStatus::Killed {
                signal,
                core_dumped: true,
            } => write!(f, "signal {} (core dumped)", signal),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ExitStatus;

    #[test]
    fn decodes_the_kernel_encodings() {
        assert_eq!(ExitStatus::from_raw(0x2a00), ExitStatus::Exited(42));
        assert_eq!(
            ExitStatus::from_raw(0x0086),
            ExitStatus::Killed {
                signal: 6,
                core_dumped: true
            }
        );
        assert_eq!(ExitStatus::from_raw(0x0009).to_string(), "signal 9");
    }
}
