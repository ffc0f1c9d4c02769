package dev.pestream.jobs.run;

import java.util.EnumSet;
import org.apache.flink.configuration.description.Description;
import org.apache.flink.configuration.description.Formatter;
import org.apache.flink.configuration.description.TextElement;

/**
 * Renders a Flink option {@link Description} as plain text for terminal help: Flink ships only an
 * HTML formatter, and {@code Description} has no {@code toString()}.
 */
final class PlainTextFormatter extends Formatter {

  /** The description as one plain-text paragraph (line breaks kept, list entries as "- " lines). */
  static String render(Description description) {
    return new PlainTextFormatter().format(description).strip();
  }

  @Override
  protected void formatLink(StringBuilder state, String link, String description) {
    state.append(description.isEmpty() ? link : description + " (" + link + ")");
  }

  @Override
  protected void formatLineBreak(StringBuilder state) {
    state.append("\n");
  }

  @Override
  protected void formatText(StringBuilder state, String format, String[] elements,
                            EnumSet<TextElement.TextStyle> styles) {
    // Formatter has escaped every '%' of the text itself, so only the %s placeholders expand
    state.append(String.format(format, (Object[]) elements));
  }

  @Override
  protected void formatList(StringBuilder state, String[] entries) {
    for (String entry : entries) {
      state.append("\n").append("- ").append(entry);
    }
  }

  @Override
  protected Formatter newInstance() {
    return new PlainTextFormatter();
  }
}
