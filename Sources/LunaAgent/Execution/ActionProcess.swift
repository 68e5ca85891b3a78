import Foundation
import LunaStore
import LunaSystem

/// The local process an action runs in, identified so that a restart can tell whether it still runs.
///
/// `pid` is also the process group (ProcessRunner starts each child in a group of
/// its own). `startTicks` is field 22 of `/proc/PID/stat`, the start time since
/// boot: a different process that later gets the same pid has another one.
public struct ActionProcess: Sendable, Equatable {
    public var pid: Int32
    public var startTicks: Int64?

    /// The identity of a process that is running now.
    public static func current(_ pid: Int32) -> ActionProcess {
        ActionProcess(pid: pid, startTicks: ProcessStat.read(pid)?.startTicks)
    }

    /// Whether the action still runs: its leader (same start time), or any other
    /// member of its process group, is alive and not a zombie.
    ///
    /// Linux does not hand out a pid while a process group of that number exists,
    /// so a group member alive means the action's group; a leader with another
    /// start time means the pid was reused and the action is over.
    public var isRunning: Bool {
        if let leader = ProcessStat.read(pid) {
            if let startTicks, leader.startTicks != startTicks { return false }
            if !leader.hasEnded { return true }
        }
        guard let others = ProcessStat.allProcesses() else { return true }   // cannot tell: keep it
        for other in others where other != pid {
            guard let s = ProcessStat.read(other) else { continue }
            if s.group == pid && !s.hasEnded { return true }
        }
        return false
    }
}

extension Ledger {
    /// Stores the process an executing proposal's action runs in, right after it was spawned.
    public func recordActionProcess(_ proposalID: Int64, _ process: ActionProcess) throws {
        try db.run("UPDATE executions SET pid=?, pid_start_ticks=? WHERE proposal_id=?",
                   [.integer(Int64(process.pid)), process.startTicks.map { .integer($0) } ?? .null, .integer(proposalID)])
    }

    /// The recorded process of a proposal's action, if it was spawned.
    public func actionProcess(_ proposalID: Int64) throws -> ActionProcess? {
        guard let row = try db.queryOne("SELECT pid, pid_start_ticks FROM executions WHERE proposal_id=?", [.integer(proposalID)]),
              let pid = row.int("pid") else { return nil }
        return ActionProcess(pid: Int32(truncatingIfNeeded: pid), startTicks: row.int("pid_start_ticks"))
    }
}

extension ExecutionService {
    /// Called by the executor as soon as the action's process exists; a failure is logged, not thrown,
    /// so the action (already running) is still awaited and its outcome stored.
    func recordActionProcess(_ proposalID: Int64, pid: Int32) {
        do {
            try ledger.recordActionProcess(proposalID, ActionProcess.current(pid))
        } catch {
            environment.log(.error, "proposal \(proposalID): could not store the action's pid \(pid): \(error); a restart would not see it running")
        }
    }
}
