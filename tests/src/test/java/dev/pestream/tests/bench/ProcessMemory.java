package dev.pestream.tests.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Memory of this JVM process, as the operating system and the JVM see it: resident set (Linux
 * {@code /proc/self/status}), heap committed and heap live after the last collection, direct
 * buffers, and "native" = resident minus heap committed (metaspace, code, thread stacks, direct
 * buffers and what native libraries — ONNX Runtime, FFmpeg — allocate).
 */
public record ProcessMemory(long residentBytes, long heapCommittedBytes, long heapAfterGcBytes, long directBytes) {

  public static ProcessMemory now() {
    long heapCommitted = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted();
    long afterGc = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null) {
        afterGc += pool.getCollectionUsage().getUsed();
      }
    }
    long direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
        .filter(b -> b.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
    return new ProcessMemory(readResidentBytes(), heapCommitted, afterGc, direct);
  }

  public long nativeBytes() {
    return residentBytes - heapCommittedBytes;
  }

  /** {@code VmRSS} of {@code /proc/self/status} (Linux). */
  private static long readResidentBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
      throw new IllegalStateException("/proc/self/status has no VmRSS line");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read /proc/self/status (the soak benchmark needs Linux)", e);
    }
  }
}
