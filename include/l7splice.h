/*
 * l7splice.h — umbrella header: includes every public module header.
 * Programs may include just the module headers they use instead.
 */
#ifndef L7SPLICE_H
#define L7SPLICE_H

#include "l7splice/common.h"
#include "l7splice/packet.h"
#include "l7splice/tcp.h"
#include "l7splice/splice.h"
#include "l7splice/http.h"
#include "l7splice/route.h"
#include "l7splice/conntable.h"
#include "l7splice/pcap.h"
#include "l7splice/conn.h"
#include "l7splice/pipeline.h"

#endif
