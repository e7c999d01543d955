# splice-lb.mk — builds examples/splice-lb/*.c (several files, so the
# generic single-file examples/%.c rule does not apply) into
# $(BUILD)/examples/splice-lb, linked with the static library.
SPLICE_LB_SRCS := $(sort $(wildcard examples/splice-lb/*.c))

$(BUILD)/examples/splice-lb: $(SPLICE_LB_SRCS) examples/splice-lb/lb.h $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(L7_CFLAGS) -o $@ $(SPLICE_LB_SRCS) $(LIB_A) $(L7_LDFLAGS) $(L7_LIBS)

examples: $(BUILD)/examples/splice-lb
