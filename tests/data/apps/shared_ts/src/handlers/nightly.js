const { countOrders } = require('../lib/scan');

exports.handler = async () => ({ orders: await countOrders(process.env.TABLE_NAME) });
