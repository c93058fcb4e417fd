import { Schema, type Connection, type InferSchemaType } from 'mongoose';

/**
 * The last values orch saw of the properties that stage-transition triggers watch, one document
 * per object (`_id` = "deal:123"). HubSpot's propertyChange events carry only the new value, so
 * this is where "from which stage" comes from for the next burst.
 */
const objectStateSchema = new Schema(
  {
    _id: { type: String, required: true },
    values: { type: Schema.Types.Mixed, default: {} },
    updatedAt: { type: Date },
  },
  { versionKey: false, minimize: false },
);

export type ObjectStateDoc = InferSchemaType<typeof objectStateSchema>;
export const objectStateModel = (conn: Connection) => conn.model('ObjectState', objectStateSchema, 'object_states');
