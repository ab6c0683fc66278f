// The `shop` database: customers, products, orders and reviews of a small web shop.
import { Binary, Double, Long, type Document, type ObjectId } from 'mongodb';
import { decimalFromCents } from './money.js';
import { SeededRandom } from './random.js';
import type { DemoDatabase } from './types.js';
import {
  CITIES,
  COLORS,
  EMAIL_DOMAINS,
  FIRST_NAMES,
  LAST_NAMES,
  PRODUCT_ADJECTIVES,
  PRODUCT_CATEGORIES,
  PRODUCT_NOUNS,
  REVIEW_PHRASES,
  STREETS,
} from './words.js';

const OPENED = new Date('2022-03-01T00:00:00Z');
const ORDER_STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'delivered', 'delivered', 'cancelled', 'returned'];
const CUSTOMER_TAGS = ['newsletter', 'vip', 'wholesale', 'student', 'returning', 'referral'];
const SHIPPING_METHODS = ['standard', 'express', 'pickup'];

export const SHOP_SIZES = { customers: 5000, products: 800, orders: 15_000, reviews: 6000 } as const;

interface ProductRef {
  _id: ObjectId;
  sku: string;
  priceCents: number;
}

export function shopDatabase(): DemoDatabase {
  const customers = makeCustomers(new SeededRandom(101), SHOP_SIZES.customers);
  const { products, productRefs } = makeProducts(new SeededRandom(102), SHOP_SIZES.products);
  const customerIds = customers.map((customer) => customer._id as ObjectId);
  return {
    name: 'shop',
    collections: [
      {
        name: 'customers',
        documents: customers,
        indexes: [
          { key: { email: 1 }, name: 'email_unique', unique: true },
          { key: { 'address.country': 1, 'address.city': 1 }, name: 'country_city' },
          { key: { 'loyalty.cardId': 1 }, name: 'loyalty_card', unique: true, sparse: true },
          { key: { tags: 1 } },
        ],
      },
      {
        name: 'products',
        documents: products,
        indexes: [
          { key: { sku: 1 }, name: 'sku_unique', unique: true },
          { key: { category: 1, price: -1 } },
          {
            key: { name: 'text', description: 'text' },
            name: 'product_search',
            weights: { name: 10, description: 2 },
            default_language: 'english',
          },
          { key: { 'attributes.$**': 1 }, name: 'attributes_wildcard' },
          { key: { name: 1 }, name: 'name_case_insensitive', collation: { locale: 'en', strength: 2 } },
        ],
      },
      {
        name: 'orders',
        documents: makeOrders(new SeededRandom(103), SHOP_SIZES.orders, customers, productRefs),
        indexes: [
          { key: { orderNumber: 1 }, name: 'order_number_unique', unique: true },
          { key: { customerId: 1, createdAt: -1 } },
          { key: { createdAt: -1 }, name: 'pending_by_date', partialFilterExpression: { status: 'pending' } },
          { key: { customerId: 'hashed' } },
          { key: { 'items.productId': 1 }, name: 'items_product', hidden: true },
        ],
      },
      {
        name: 'reviews',
        documents: makeReviews(new SeededRandom(104), SHOP_SIZES.reviews, customerIds, productRefs),
        indexes: [
          { key: { productId: 1, rating: -1 } },
          { key: { title: 'text', body: 'text' }, name: 'review_search' },
        ],
      },
      {
        name: 'activeProducts',
        options: {
          viewOn: 'products',
          pipeline: [{ $match: { active: true } }, { $project: { sku: 1, name: 1, category: 1, price: 1, stock: 1 } }],
        },
      },
    ],
  };
}

function makeCustomers(random: SeededRandom, count: number): Document[] {
  const customers: Document[] = [];
  for (let i = 0; i < count; i++) {
    const first = random.pick(FIRST_NAMES);
    const last = random.pick(LAST_NAMES);
    const city = random.pick(CITIES);
    const createdAt = random.dateWithin(OPENED, 900);
    const customer: Document = {
      _id: random.objectId(createdAt),
      customerNumber: i + 1,
      externalId: random.uuid(),
      name: { first, last },
      email: `${first}.${last}.${i + 1}@${random.pick(EMAIL_DOMAINS)}`.toLowerCase(),
      phone: random.chance(0.3) ? null : `+${random.int(1, 99)} ${random.int(100, 999)} ${random.int(100000, 999999)}`,
      address: {
        street: `${random.int(1, 240)} ${random.pick(STREETS)}`,
        city: city.name,
        country: city.country,
        postalCode: String(random.int(10000, 99999)),
      },
      location: { type: 'Point', coordinates: random.near(city.coordinates) },
      tags: random.sample(CUSTOMER_TAGS, random.int(0, 3)),
      marketingOptIn: random.chance(0.55),
      createdAt,
      lastLoginAt: random.chance(0.1) ? null : random.dateWithin(createdAt, 120),
      lifetimeValue: decimalFromCents(random.int(0, 500_000)),
    };
    if (random.chance(0.4))
      customer.loyalty = {
        cardId: `LC-${String(i + 1).padStart(7, '0')}`,
        points: random.int(0, 20_000),
        tier: random.pick(['bronze', 'silver', 'gold']),
      };
    customers.push(customer);
  }
  return customers;
}

/** The product documents, and what orders and reviews need to refer to them. */
function makeProducts(random: SeededRandom, count: number): { products: Document[]; productRefs: ProductRef[] } {
  const products: Document[] = [];
  const productRefs: ProductRef[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${random.pick(PRODUCT_ADJECTIVES)} ${random.pick(PRODUCT_NOUNS)} ${i + 1}`;
    const priceCents = random.int(199, 49_999);
    const category = random.pick(PRODUCT_CATEGORIES);
    const createdAt = random.dateWithin(OPENED, 600);
    const attributes: Document = { color: random.pick(COLORS), weightKg: new Double(random.amount(0.1, 25, 3)) };
    if (category === 'apparel') attributes.size = random.pick(['XS', 'S', 'M', 'L', 'XL']);
    if (category === 'electronics') attributes.warrantyMonths = random.pick([12, 24, 36]);
    const ref: ProductRef = {
      _id: random.objectId(createdAt),
      sku: `SKU-${String(i + 1).padStart(6, '0')}`,
      priceCents,
    };
    productRefs.push(ref);
    products.push({
      _id: ref._id,
      sku: ref.sku,
      name,
      description: `${name}: a ${attributes.color} item from our ${category} range, ${random.pick(REVIEW_PHRASES)}.`,
      category,
      price: decimalFromCents(priceCents),
      cost: new Double(random.amount(0.5, 0.8) * (priceCents / 100)),
      stock: random.int(0, 500),
      attributes,
      tags: random.sample(['new', 'sale', 'eco', 'bestseller', 'limited'], random.int(0, 2)),
      active: random.chance(0.9),
      rating: random.chance(0.15) ? null : new Double(random.amount(1, 5, 1)),
      thumbnail: new Binary(random.bytes(48)),
      createdAt,
    });
  }
  return { products, productRefs };
}

function makeOrders(
  random: SeededRandom,
  count: number,
  customers: readonly Document[],
  products: readonly ProductRef[],
): Document[] {
  const orders: Document[] = [];
  for (let i = 0; i < count; i++) {
    const customer = random.pick(customers);
    const createdAt = random.dateWithin(customer.createdAt as Date, 300);
    const status = random.pick(ORDER_STATUSES);
    let totalCents = 0;
    const items = random.sample(products, random.int(1, 5)).map((product) => {
      const quantity = random.int(1, 4);
      totalCents += quantity * product.priceCents;
      return { productId: product._id, sku: product.sku, quantity, unitPrice: decimalFromCents(product.priceCents) };
    });
    const shipped = ['shipped', 'delivered', 'returned'].includes(status);
    const order: Document = {
      _id: random.objectId(createdAt),
      orderNumber: Long.fromNumber(1_000_000 + i),
      customerId: customer._id,
      status,
      items,
      total: decimalFromCents(totalCents),
      currency: random.pick(['EUR', 'USD', 'GBP']),
      createdAt,
      shippedAt: shipped ? new Date(createdAt.getTime() + random.int(1, 72) * 3_600_000) : null,
      shipping: { method: random.pick(SHIPPING_METHODS), address: customer.address },
      paymentReference: random.uuid(),
      giftWrap: random.chance(0.05),
    };
    if (random.chance(0.08)) order.notes = random.pick(['leave at the door', 'call before delivery', 'gift']);
    orders.push(order);
  }
  return orders;
}

function makeReviews(
  random: SeededRandom,
  count: number,
  customerIds: readonly ObjectId[],
  products: readonly ProductRef[],
): Document[] {
  const reviews: Document[] = [];
  for (let i = 0; i < count; i++) {
    const createdAt = random.dateWithin(OPENED, 900);
    const rating = random.int(1, 5);
    reviews.push({
      _id: random.objectId(createdAt),
      productId: random.pick(products)._id,
      customerId: random.pick(customerIds),
      rating,
      title: rating >= 4 ? 'Recommended' : rating === 3 ? 'It is fine' : 'Disappointed',
      body: random.sample(REVIEW_PHRASES, random.int(1, 3)).join(', '),
      helpfulVotes: random.int(0, 120),
      verifiedPurchase: random.chance(0.8),
      createdAt,
    });
  }
  return reviews;
}
