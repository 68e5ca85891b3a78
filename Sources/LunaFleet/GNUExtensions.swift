#if canImport(Glibc)
import Glibc
#endif

/// glibc functions hidden behind `_GNU_SOURCE`, which the Swift `Glibc` module
/// does not import; resolved once with `dlsym` from the already-loaded libc.
enum GNUExtensions {
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    typealias AddChdir = @convention(c) (
        UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>
    ) -> Int32

    /// `pipe2(2)`: creates a pipe with flags (O_CLOEXEC) atomically, so a
    /// concurrent spawn on another thread cannot inherit our pipe ends.
    static let pipe2: Pipe2? = symbol("pipe2", as: Pipe2.self)

    /// `posix_spawn_file_actions_addchdir_np(3)` (glibc 2.29+).
    static let addChdir: AddChdir? = symbol("posix_spawn_file_actions_addchdir_np", as: AddChdir.self)

    private static func symbol<T>(_ name: String, as type: T.Type) -> T? {
        guard let handle = dlopen(nil, RTLD_NOW), let pointer = dlsym(handle, name) else { return nil }
        return unsafeBitCast(pointer, to: type)
    }
}
