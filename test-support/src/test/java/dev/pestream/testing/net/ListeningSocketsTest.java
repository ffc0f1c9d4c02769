package dev.pestream.testing.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class ListeningSocketsTest {
  @Test
  void parsesTheKernelsHexAddresses() throws Exception {
    assertThat(ListeningSockets.parse("0100007F:1F90").toString()).isEqualTo("127.0.0.1:8080");
    assertThat(ListeningSockets.parse("00000000:0050").address().isAnyLocalAddress()).isTrue();
    assertThat(ListeningSockets.parse("00000000000000000000000001000000:0016").toString()).isEqualTo("0:0:0:0:0:0:0:1:22");
  }

  @Test
  void seesWhatThisJvmListensOnAndWhere() throws Exception {
    try (ServerSocket loopback = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ServerSocket everywhere = new ServerSocket(0)) {
      var listeners = ListeningSockets.ofThisProcess();
      assertThat(listeners).anySatisfy(l -> {
        assertThat(l.port()).isEqualTo(loopback.getLocalPort());
        assertThat(l.loopback()).isTrue();
      });
      assertThat(listeners).anySatisfy(l -> {
        assertThat(l.port()).isEqualTo(everywhere.getLocalPort());
        assertThat(l.loopback()).isFalse();
      });
    }
  }
}
