package dev.userpoll.transport.ring;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The msghdr/iovec descriptor: the C headers' values on x86_64, and the checks that refuse a layout we cannot write. */
class MsgHdrLayoutTest {

    @Test
    void readsTheX8664Layout() {
        assertEquals(56, MsgHdrLayout.MSGHDR_SIZE);
        assertEquals(16, MsgHdrLayout.MSG_IOV_OFFSET);
        assertEquals(24, MsgHdrLayout.MSG_IOVLEN_OFFSET);
        assertEquals(56, MsgHdrLayout.MSGHDR_STRIDE);
        assertEquals(16, MsgHdrLayout.IOV_SIZE);
        assertEquals(48, MsgHdrLayout.iovOffset(3));
        assertEquals(112, MsgHdrLayout.msghdrOffset(2));
    }

    @Test
    void refusesFieldsThatAreNotAlignedWordsInsideTheStruct() {
        assertNull(MsgHdrLayout.validate(56, 16, 24));
        assertNotNull(MsgHdrLayout.validate(0, 16, 24));
        assertNotNull(MsgHdrLayout.validate(56, 12, 24), "misaligned msg_iov");
        assertNotNull(MsgHdrLayout.validate(28, 16, 24), "msg_iovlen past the end");
        assertNotNull(MsgHdrLayout.validate(56, 16, 16), "one word for both");
        assertNotNull(MsgHdrLayout.validate(56, -8, 24));
    }
}
