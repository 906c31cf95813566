/*
 * spi_receiver.h — the set-up shared by the DestReceivers that read a query's rows straight into
 * C arrays (SPI_execute_extended or SPI_execute_plan_extended with opts.dest): no tuplestore in
 * between and no function call per row. The receiver embeds a DestReceiver first; it checks the
 * result's shape in startup and takes each row in receive; it needs no shutdown or destroy.
 */
#ifndef SUPERVISE_SPI_RECEIVER_H
#define SUPERVISE_SPI_RECEIVER_H

#include "tcop/dest.h"

static inline void
spi_receiver_nothing(DestReceiver *self)
{
}

static inline void
spi_receiver_init(DestReceiver *pub, bool (*receive) (TupleTableSlot *slot, DestReceiver *self),
				  void (*startup) (DestReceiver *self, int operation, TupleDesc desc))
{
	pub->receiveSlot = receive;
	pub->rStartup = startup;
	pub->rShutdown = spi_receiver_nothing;
	pub->rDestroy = spi_receiver_nothing;
	pub->mydest = DestNone;
}

#endif							/* SUPERVISE_SPI_RECEIVER_H */
