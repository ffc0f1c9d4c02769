package dev.pestream.console;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.sse.SseClient;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The open {@code /api/events} connections; new timeline results go to each as a server-sent event. */
public final class EventHub {
  /** Event names: what the page listens for. */
  public static final String SPAN = "span";
  public static final String ALERT = "alert";
  public static final String TAG = "tag";
  public static final String CAPTION = "caption";
  /** How far a stream's windows have got: open spans grow up to it. */
  public static final String PROGRESS = "progress";

  private static final ObjectMapper JSON = new ObjectMapper();
  private final Set<SseClient> clients = ConcurrentHashMap.newKeySet();

  void join(SseClient client) {
    clients.add(client);
    client.onClose(() -> clients.remove(client));
    client.keepAlive();
  }

  /** Sends {@code {"streamId":..., "item":...}} as event {@code name} to every connection. */
  public void publish(String name, String streamId, Object item) {
    if (clients.isEmpty()) {
      return;
    }
    String data;
    try {
      data = JSON.writeValueAsString(Map.of("streamId", streamId, "item", item));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    for (SseClient client : clients) {
      if (client.terminated()) {
        clients.remove(client);
      } else {
        client.sendEvent(name, data);
      }
    }
  }

  int connections() {
    return clients.size();
  }

  void closeAll() {
    clients.forEach(SseClient::close);
    clients.clear();
  }
}
