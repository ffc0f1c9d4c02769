package dev.pestream.operators.alerts;

/**
 * Glob over stream ids ({@code *} any run of characters, {@code ?} one character, everything
 * else literal). Selectors come from control records, so matching must stay cheap whatever the
 * glob: it walks glob and id once, backing up only to the last {@code *} (at most O(glob × id)
 * steps), where a regular expression such as {@code .*a.*a.*a...c} backtracks exponentially.
 */
public final class StreamSelector {
  private StreamSelector() {}

  public static boolean matches(String glob, String streamId) {
    if (glob == null || glob.isEmpty() || glob.equals("*")) {
      return true;
    }
    int[] g = glob.codePoints().toArray();
    int[] s = streamId.codePoints().toArray();
    int gi = 0;
    int si = 0;
    int lastStar = -1;
    int resumeAt = 0;
    while (si < s.length) {
      if (gi < g.length && g[gi] == '*') {
        lastStar = gi++;
        resumeAt = si;
      } else if (gi < g.length && (g[gi] == '?' || g[gi] == s[si])) {
        gi++;
        si++;
      } else if (lastStar >= 0) {
        // let the last * swallow one more character and retry the rest of the glob from there
        gi = lastStar + 1;
        si = ++resumeAt;
      } else {
        return false;
      }
    }
    while (gi < g.length && g[gi] == '*') {
      gi++;
    }
    return gi == g.length;
  }
}
