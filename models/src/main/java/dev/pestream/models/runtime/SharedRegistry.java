package dev.pestream.models.runtime;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Reference-counted JVM-wide instances by key: the first {@link #acquire} creates, later ones share,
 * the last {@link #release} closes. Creation runs under the registry lock, so concurrent first users
 * of a key wait for one instance instead of building several (e.g. one GPU session per graph).
 */
public final class SharedRegistry<K, V extends AutoCloseable> {
  private final Map<K, Entry<V>> entries = new HashMap<>();

  private static final class Entry<V> {
    final V value;
    int references;

    Entry(V value) {
      this.value = value;
    }
  }

  public synchronized V acquire(K key, Function<K, V> create) {
    Entry<V> entry = entries.get(key);
    if (entry == null) {
      entry = new Entry<>(create.apply(key));
      entries.put(key, entry);
    }
    entry.references++;
    return entry.value;
  }

  /** Drops one reference to {@code value}; closes it when it was the last. */
  public void release(K key, V value) {
    V toClose = null;
    synchronized (this) {
      Entry<V> entry = entries.get(key);
      if (entry == null || entry.value != value) {
        throw new IllegalStateException("releasing an instance that is not shared under " + key);
      }
      if (--entry.references == 0) {
        entries.remove(key);
        toClose = value;
      }
    }
    if (toClose != null) {
      try {
        toClose.close();
      } catch (Exception e) {
        throw new IllegalStateException("closing shared instance " + key + " failed", e);
      }
    }
  }

  /** Current references to {@code key} (0 when none is open). */
  public synchronized int references(K key) {
    Entry<V> entry = entries.get(key);
    return entry == null ? 0 : entry.references;
  }

  public synchronized int size() {
    return entries.size();
  }
}
