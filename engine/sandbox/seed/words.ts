// Word lists the demo generators draw from.

function words(list: string): readonly string[] {
  return list.split(' ');
}

function phrases(list: string): readonly string[] {
  return list.split(', ');
}

export const FIRST_NAMES = words(
  'Ada Alan Amara Ana Arjun Aya Bea Ben Carla Chen Chloé Dario Diego Elena Emeka Emma Farah Finn ' +
    'Grace Hana Hugo Ines Ivan Jamal Jana Jonas Kai Karin Leila Liam Lina Lucas Maya Mateo Mei Mia ' +
    'Nadia Noah Nora Olga Omar Paula Pedro Priya Rafael Rosa Sami Sara Sofia Søren Tariq Tomás Uma ' +
    'Vera Yara Yuki Zoe Zoltán',
);

export const LAST_NAMES = words(
  'Abe Adeyemi Alvarez Andersen Bauer Bianchi Brown Castro Chen Costa Dubois Eriksen Fischer García ' +
    'Gupta Haddad Hansen Ivanova Jensen Kim Kowalski Kumar Lambert Larsen López Martin Meyer Moreau ' +
    'Müller Nakamura Nguyen Novak Okafor Olsen Park Pereira Petrov Rossi Santos Schmidt Silva Smith ' +
    'Suzuki Tanaka Wang Weber Wilson Yilmaz',
);

export interface City {
  readonly name: string;
  readonly country: string;
  /** [longitude, latitude], GeoJSON order. */
  readonly coordinates: readonly [number, number];
}

export const CITIES: readonly City[] = [
  { name: 'Amsterdam', country: 'NL', coordinates: [4.9041, 52.3676] },
  { name: 'Austin', country: 'US', coordinates: [-97.7431, 30.2672] },
  { name: 'Barcelona', country: 'ES', coordinates: [2.1734, 41.3851] },
  { name: 'Berlin', country: 'DE', coordinates: [13.405, 52.52] },
  { name: 'Buenos Aires', country: 'AR', coordinates: [-58.3816, -34.6037] },
  { name: 'Cape Town', country: 'ZA', coordinates: [18.4241, -33.9249] },
  { name: 'Copenhagen', country: 'DK', coordinates: [12.5683, 55.6761] },
  { name: 'Dublin', country: 'IE', coordinates: [-6.2603, 53.3498] },
  { name: 'Lagos', country: 'NG', coordinates: [3.3792, 6.5244] },
  { name: 'Lisbon', country: 'PT', coordinates: [-9.1393, 38.7223] },
  { name: 'London', country: 'GB', coordinates: [-0.1276, 51.5072] },
  { name: 'Lyon', country: 'FR', coordinates: [4.8357, 45.764] },
  { name: 'Melbourne', country: 'AU', coordinates: [144.9631, -37.8136] },
  { name: 'Mexico City', country: 'MX', coordinates: [-99.1332, 19.4326] },
  { name: 'Montréal', country: 'CA', coordinates: [-73.5674, 45.5019] },
  { name: 'Mumbai', country: 'IN', coordinates: [72.8777, 19.076] },
  { name: 'New York', country: 'US', coordinates: [-74.006, 40.7128] },
  { name: 'Osaka', country: 'JP', coordinates: [135.5023, 34.6937] },
  { name: 'São Paulo', country: 'BR', coordinates: [-46.6333, -23.5505] },
  { name: 'Seoul', country: 'KR', coordinates: [126.978, 37.5665] },
  { name: 'Singapore', country: 'SG', coordinates: [103.8198, 1.3521] },
  { name: 'Stockholm', country: 'SE', coordinates: [18.0686, 59.3293] },
  { name: 'Tokyo', country: 'JP', coordinates: [139.6503, 35.6762] },
  { name: 'Warsaw', country: 'PL', coordinates: [21.0122, 52.2297] },
];

export const STREETS = phrases('Main St, High St, Station Rd, Park Ave, Mill Lane, Church St, Harbour Way');

export const EMAIL_DOMAINS = words('example.com mail.example.org inbox.example.net');

export const PRODUCT_CATEGORIES = words('books electronics garden kitchen outdoor toys apparel');

export const PRODUCT_ADJECTIVES = words(
  'Compact Classic Deluxe Ergonomic Lightweight Rugged Smart Solar Vintage Wireless',
);

export const PRODUCT_NOUNS = words(
  'Backpack Blender Camera Chair Drone Headphones Kettle Lamp Notebook Planter Puzzle Speaker Tent Umbrella Watch',
);

export const COLORS = words('black white red blue green grey orange');

export const REVIEW_PHRASES = phrases(
  'works as described, arrived quickly, great value for money, stopped working after a month, ' +
    'better than expected, the color is different from the photo, would buy again, packaging was damaged, ' +
    'easy to set up, a bit too heavy',
);

export const DEPARTMENTS = words('Engineering Finance Legal Marketing Operations Sales Support');

export const TITLES = phrases('Associate, Specialist, Senior Specialist, Lead, Manager, Director');
