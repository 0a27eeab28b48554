package io.mirrorgate.server.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.internal.PlatformDependent;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Who may start a request while the server's budget is full, and when waiters are woken. */
class ByteBudgetTest {
    /** A channel that counts the budget's wake-ups. */
    private static final class Waiter {
        final AtomicInteger woken = new AtomicInteger();
        final EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                if (evt == ByteBudget.Freed.EVENT) {
                    woken.incrementAndGet();
                }
            }
        });
    }

    @Test
    void aConnectionThatHoldsNothingMayGoPastTheMaximumButNotPastTwiceIt() {
        ByteBudget budget = new ByteBudget(100, 1000);
        budget.take(100);
        assertFalse(budget.mayStart(10));
        assertTrue(budget.mayStart(0));
        budget.take(99);
        assertTrue(budget.mayStart(0));
        budget.take(1);
        assertFalse(budget.mayStart(0), "200 of 100 in flight: nobody starts");
    }

    @Test
    void aWaiterThatHoldsNothingIsWokenBelowOneAndAHalfTimesTheMaximum() {
        ByteBudget budget = new ByteBudget(100, 1000);
        budget.take(200);
        Waiter empty = new Waiter();
        Waiter holder = new Waiter();
        budget.whenFree(empty.channel, 0);
        budget.whenFree(holder.channel, 5);
        budget.give(40); // 160: neither may start yet (nothing-holders go to 200, holders to 100)
        assertEquals(0, empty.woken.get());
        budget.give(20); // 140: a connection that holds nothing may start one now
        assertEquals(1, empty.woken.get(), "a client that reads its replies was left waiting");
        assertEquals(0, holder.woken.get());
        budget.give(60); // 80: not yet three quarters
        assertEquals(0, holder.woken.get());
        budget.give(10); // 70
        assertEquals(1, holder.woken.get());
        budget.give(10);
        assertEquals(1, holder.woken.get(), "woken once per registration");
        assertEquals(1, empty.woken.get());
    }

    @Test
    void waitersAreWokenOnceTheRequestsAreDownToThreeQuarters() {
        ByteBudget budget = new ByteBudget(1 << 20, 8);
        for (int i = 0; i < 8; i++) {
            budget.take(1);
        }
        Waiter w = new Waiter();
        assertFalse(budget.mayStart(0));
        budget.whenFree(w.channel, 0);
        budget.give(1);
        budget.give(1);
        assertEquals(0, w.woken.get(), "6 of 8 requests in flight: not yet");
        budget.give(1);
        assertEquals(1, w.woken.get());
    }

    @Test
    void aWaiterIsWokenAtOnceIfTheBudgetFreedBeforeItRegistered() {
        ByteBudget budget = new ByteBudget(100, 10);
        Waiter w = new Waiter();
        budget.whenFree(w.channel, 5);
        assertEquals(1, w.woken.get());
    }

    @Test
    void theDefaultServerBudgetIsAQuarterOfTheDirectMemoryWithinItsBounds() {
        long bytes = ConnectionLimits.defaultServerBytes();
        assertTrue(bytes >= 64L << 20 && bytes <= 1L << 30, "default: " + bytes);
        assertTrue(bytes == 64L << 20 || bytes <= PlatformDependent.maxDirectMemory() / 4,
                bytes + " of " + PlatformDependent.maxDirectMemory() + " bytes of direct memory");
        assertEquals(bytes, ConnectionLimits.defaults().serverBytes());
    }
}
